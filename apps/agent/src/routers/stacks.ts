import { mkdir, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { TRPCError } from '@trpc/server';
import { z } from 'zod';
import { ComposeEngine, ComposeError, loadProject, readEnvFile, type ComposeEvent, type ComposeProject } from '@skiff/compose';
import { isSkiffError } from '@skiff/runtime';
import { isUniqueViolation } from '@skiff/db';
import { call, operatorProcedure, router, viewerProcedure, type Context } from '../trpc.js';
import { audited, engineOf, projectName } from './compose.js';
import { projectHostRequests } from '../auth/project-host-access.js';
import { deleteStackSecrets, envWithPlaceholders, envWithSecrets, openStackSecrets, secretKeys } from '../templates/stack-secrets.js';

/**
 * Stacks: compose projects whose file and .env are stored in the database and managed
 * from the dashboard (Portainer's / Dockge's stacks). What runs is still only what the
 * containers' compose labels say, so a stack deployed here is an ordinary compose project
 * to `skiff compose` too, and projects started with the CLI show up as "external".
 */

const MAX_FILE = 1024 * 1024;
const stackInput = z.object({
  name: projectName,
  composeFile: z.string().max(MAX_FILE),
  envFile: z.string().max(MAX_FILE).default(''),
});
const byName = z.object({ name: projectName });

/** where a stack's compose.yaml and .env are written, so relative paths in the file resolve there */
export const stackDir = (ctx: Context, name: string) => join(ctx.services.root, 'stacks', name);

export interface StackError {
  message: string;
  /** `compose.yaml` or `.env` */
  file?: string;
  line?: number;
  col?: number;
  /** dotted path of the offending value (`services.web.ports[0]`) */
  path?: string;
}

export type Validation = { ok: true; project: ComposeProject } | { ok: false; error: StackError };

/** The stack's file and .env → the project, exactly as deploy would load it; a bad file is a result, not a throw. */
export async function validateStack(ctx: Context, input: { name: string; composeFile: string; envFile: string }): Promise<Validation> {
  try {
    const env = readEnvFile(input.envFile, { file: '.env' });
    const project = await loadProject({
      files: [{ path: join(stackDir(ctx, input.name), 'compose.yaml'), content: input.composeFile }],
      projectName: input.name,
      env,
    });
    return { ok: true, project };
  } catch (e) {
    if (e instanceof ComposeError) return { ok: false, error: { message: e.message, file: e.loc?.file, line: e.loc?.line, col: e.loc?.col, path: e.path } };
    if (isSkiffError(e) && e.code === 'INVALID_ARGUMENT') return { ok: false, error: { message: e.message } };
    throw e;
  }
}

async function loadStored(ctx: Context, name: string) {
  const stack = await ctx.db.stack.findUnique({ where: { name } });
  if (!stack) throw new TRPCError({ code: 'NOT_FOUND', message: `no stack named "${name}"` });
  return stack;
}

/** stacks being deployed or removed right now: a second deploy of the same stack waits its turn by being refused */
const busy = new Set<string>();
async function* exclusive<T>(name: string, work: () => AsyncGenerator<T>): AsyncGenerator<T> {
  if (busy.has(name)) throw new TRPCError({ code: 'CONFLICT', message: `stack "${name}" is already being deployed` });
  busy.add(name);
  try {
    yield* work();
  } finally {
    busy.delete(name);
  }
}

type Summary = { name: string; status: string; containers: number };
/** a coarse state from the engine's "running(2), exited(1)" */
function stateOf(p: Summary | undefined): 'running' | 'partial' | 'stopped' | 'not deployed' {
  if (!p || p.containers === 0) return 'not deployed';
  const running = Number(/running\((\d+)\)/.exec(p.status)?.[1] ?? 0);
  return running === p.containers ? 'running' : running === 0 ? 'stopped' : 'partial';
}

/**
 * `compose up -d` of a stored stack: its file and .env (with its sealed secrets) written to
 * the stack's directory first; progress lines, then `{ done }`. The one deploy path of
 * stacks, shared by stacks.deploy and templates.deploy.
 */
export function deployStack(ctx: Context, name: string, opts: { pull?: boolean; forceRecreate?: boolean }, signal?: AbortSignal) {
  return exclusive(name, async function* () {
    const stack = await loadStored(ctx, name);
    const dir = stackDir(ctx, stack.name);
    const envFile = envWithSecrets(stack.envFile, await openStackSecrets(ctx, stack.name));
    const v = await validateStack(ctx, { name: stack.name, composeFile: stack.composeFile, envFile });
    if (!v.ok) throw new TRPCError({ code: 'BAD_REQUEST', message: v.error.message });
    await call(() => ctx.checkHostAccess(projectHostRequests(v.project), [dir]));
    await mkdir(dir, { recursive: true, mode: 0o700 });
    await writeFile(join(dir, 'compose.yaml'), stack.composeFile);
    await writeFile(join(dir, '.env'), envFile, { mode: 0o600 });
    // a caller below admin may bind the stack's own directory (`./`), nothing else of the host
    const engine = new ComposeEngine(ctx.runtimeAllowingBinds([dir]));
    yield* audited(ctx, 'stacks.deploy', stack.name, async (emit) => {
      if (opts.pull) await engine.pull(v.project, undefined, emit);
      await engine.up(v.project, { forceRecreate: opts.forceRecreate, removeOrphans: true, signal, onEvent: emit });
    });
  });
}

/** runs one engine call that reports progress, returning its lines (for mutations the dashboard shows at once) */
async function collect(work: (emit: (e: ComposeEvent) => void) => Promise<void>): Promise<{ events: ComposeEvent[] }> {
  const events: ComposeEvent[] = [];
  await call(() => work((e) => events.push(e)));
  return { events };
}

export const stacksRouter = router({
  /** stored stacks with their live state, then compose projects on the host that are not stored (started with the CLI) */
  list: viewerProcedure.query(async ({ ctx }) => {
    const [stored, projects] = await Promise.all([
      ctx.db.stack.findMany({ orderBy: { name: 'asc' }, select: { name: true, createdAt: true, updatedAt: true, updatedBy: true } }),
      call(() => engineOf(ctx).projects()),
    ]);
    const live = new Map(projects.map((p) => [p.name, p]));
    const names = new Set(stored.map((s) => s.name));
    return [
      ...stored.map((s) => {
        const p = live.get(s.name);
        return { ...s, external: false, status: p?.status ?? '', state: stateOf(p), containers: p?.containers ?? 0, workingDir: p?.workingDir ?? null };
      }),
      ...projects
        .filter((p) => !names.has(p.name))
        .map((p) => ({
          name: p.name,
          createdAt: null,
          updatedAt: null,
          updatedBy: null,
          external: true,
          status: p.status,
          state: stateOf(p),
          containers: p.containers,
          workingDir: p.workingDir,
        })),
    ];
  }),

  /** the stored stack (null for an external project) and its containers, all states */
  get: viewerProcedure.input(byName).query(async ({ ctx, input }) => {
    const [stack, containers] = await Promise.all([
      ctx.db.stack.findUnique({ where: { name: input.name } }),
      call(() => engineOf(ctx).containers(input.name, { all: true })),
    ]);
    if (!stack && containers.length === 0) throw new TRPCError({ code: 'NOT_FOUND', message: `no stack named "${input.name}"` });
    // a secret's name only: its value is never returned (templates.revealSecrets is for operators)
    return { stack, external: !stack, containers, dir: stackDir(ctx, input.name), secrets: stack ? await secretKeys(ctx, stack.name) : [] };
  }),

  /** the normalised project, or the first error with its place in compose.yaml / .env (for the editor) */
  validate: viewerProcedure
    .input(stackInput.extend({ name: projectName.default('stack') }))
    .query(async ({ ctx, input }) => validateStack(ctx, { ...input, envFile: await envWithPlaceholders(ctx, input.name, input.envFile) })),

  /** create (`create: true` refuses an existing name) or update; an invalid file is refused with its located error */
  save: operatorProcedure.input(stackInput.extend({ create: z.boolean().optional() })).mutation(async ({ ctx, input }) => {
    const v = await validateStack(ctx, { ...input, envFile: await envWithPlaceholders(ctx, input.name, input.envFile) });
    if (!v.ok) throw new TRPCError({ code: 'BAD_REQUEST', message: v.error.message });
    const data = { composeFile: input.composeFile, envFile: input.envFile, updatedBy: ctx.principal.username };
    try {
      const stack = input.create
        ? await ctx.db.stack.create({ data: { name: input.name, ...data } })
        : await ctx.db.stack.upsert({ where: { name: input.name }, create: { name: input.name, ...data }, update: data });
      return { stack, warnings: v.project.warnings ?? [] };
    } catch (e) {
      if (isUniqueViolation(e)) throw new TRPCError({ code: 'CONFLICT', message: `a stack named "${input.name}" already exists` });
      throw e;
    }
  }),

  /** `compose up -d` of the stored file and .env, written to the stack's directory first; streams progress lines */
  deploy: operatorProcedure
    .input(byName.extend({ pull: z.boolean().optional(), forceRecreate: z.boolean().optional() }))
    .subscription(({ ctx, input, signal }) => deployStack(ctx, input.name, input, signal)),

  start: operatorProcedure.input(byName).mutation(({ ctx, input }) => collect((emit) => engineOf(ctx).start(input.name, undefined, emit))),
  stop: operatorProcedure.input(byName).mutation(({ ctx, input }) => collect((emit) => engineOf(ctx).stop(input.name, undefined, emit))),
  restart: operatorProcedure.input(byName).mutation(({ ctx, input }) => collect((emit) => engineOf(ctx).restart(input.name, undefined, emit))),
  /** `compose down` (containers and networks; named volumes too with `volumes`); the stored stack stays */
  down: operatorProcedure
    .input(byName.extend({ volumes: z.boolean().optional() }))
    .mutation(({ ctx, input }) => collect((emit) => engineOf(ctx).down(input.name, { volumes: input.volumes, onEvent: emit }))),
  /** down, then the stored stack and its directory are deleted */
  remove: operatorProcedure.input(byName.extend({ volumes: z.boolean().optional() })).mutation(async ({ ctx, input }) => {
    await loadStored(ctx, input.name);
    const result = await collect((emit) => engineOf(ctx).down(input.name, { volumes: input.volumes, onEvent: emit }));
    await ctx.db.stack.delete({ where: { name: input.name } }).catch(() => undefined);
    await deleteStackSecrets(ctx, input.name);
    await ctx.db.templateStack.deleteMany({ where: { stack: input.name } });
    await rm(stackDir(ctx, input.name), { recursive: true, force: true });
    return result;
  }),
});
