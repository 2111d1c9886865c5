import { z } from 'zod';
import { ComposeEngine, loadProject, type ComposeEvent } from '@skiff/compose';
import { call, operatorProcedure, recordAudit, router, viewerProcedure, type Context } from '../trpc.js';
import { eventStream } from './event-stream.js';
import { projectHostRequests } from '../auth/project-host-access.js';

export const projectName = z
  .string()
  .regex(/^[a-z0-9][a-z0-9_-]*$/, 'a project name is lowercase letters, digits, "-" and "_"')
  .max(128);
const services = z.array(z.string().min(1).max(128)).max(256).optional();
/** seconds to wait for a stop before SIGKILL */
const timeout = z.number().int().min(0).max(86_400).optional();

/**
 * The compose files travel with the request (the CLI reads them where it runs, the
 * dashboard from its editor); paths in them are resolved on the agent's host, which for
 * the CLI over the unix socket is the same machine.
 */
const projectInput = z.object({
  files: z
    .array(z.object({ path: z.string().min(1).max(4096), content: z.string().max(4 * 1024 * 1024) }))
    .min(1)
    .max(16),
  projectName: projectName.optional(),
  env: z.record(z.string(), z.string()).default({}),
  profiles: z.array(z.string()).max(64).optional(),
});

const load = (input: z.infer<typeof projectInput>) =>
  call(() => loadProject({ files: input.files, projectName: input.projectName, env: input.env, profiles: input.profiles }));
export const engineOf = (ctx: Context) => new ComposeEngine(ctx.runtime);

/** a stream of compose progress lines whose end (or error) is also an audit-log entry */
export async function* audited(ctx: Context, action: string, target: string, work: (emit: (e: ComposeEvent) => void) => Promise<void>) {
  try {
    for await (const item of eventStream(work)) if ('event' in item) yield item;
    recordAudit(ctx, action, target);
    yield { done: true as const };
  } catch (e) {
    recordAudit(ctx, action, target, (e as Error).message);
    await call(() => Promise.reject(e));
  }
}

export const composeRouter = router({
  /** `docker compose config`: the project after interpolation, validation and normalisation */
  config: viewerProcedure.input(projectInput).query(({ input }) => load(input)),
  ls: viewerProcedure.query(({ ctx }) => call(() => engineOf(ctx).projects())),
  ps: viewerProcedure
    .input(z.object({ projectName, all: z.boolean().optional(), services }))
    .query(({ ctx, input }) => call(() => engineOf(ctx).containers(input.projectName, { all: input.all, services: input.services }))),

  up: operatorProcedure
    .input(projectInput.extend({ services, build: z.boolean().optional(), forceRecreate: z.boolean().optional(), removeOrphans: z.boolean().optional() }))
    .subscription(async function* ({ ctx, input, signal }) {
      const project = await load(input);
      await call(() => ctx.checkHostAccess(projectHostRequests(project)));
      yield* audited(ctx, 'compose.up', project.name, (emit) =>
        engineOf(ctx).up(project, {
          services: input.services,
          build: input.build,
          forceRecreate: input.forceRecreate,
          removeOrphans: input.removeOrphans,
          signal,
          onEvent: emit,
        }),
      );
    }),
  down: operatorProcedure.input(z.object({ projectName, volumes: z.boolean().optional() })).subscription(async function* ({ ctx, input, signal }) {
    yield* audited(ctx, 'compose.down', input.projectName, (emit) => engineOf(ctx).down(input.projectName, { volumes: input.volumes, signal, onEvent: emit }));
  }),
  pull: operatorProcedure.input(projectInput.extend({ services })).subscription(async function* ({ ctx, input }) {
    const project = await load(input);
    yield* audited(ctx, 'compose.pull', project.name, (emit) => engineOf(ctx).pull(project, input.services, emit));
  }),
  /** `compose start|stop|restart`: one progress line per container as it goes, like `down` */
  start: operatorProcedure.input(z.object({ projectName, services })).subscription(async function* ({ ctx, input }) {
    yield* audited(ctx, 'compose.start', input.projectName, (emit) => engineOf(ctx).start(input.projectName, input.services, emit));
  }),
  stop: operatorProcedure.input(z.object({ projectName, services, timeout })).subscription(async function* ({ ctx, input }) {
    yield* audited(ctx, 'compose.stop', input.projectName, (emit) => engineOf(ctx).stop(input.projectName, input.services, emit, { timeout: input.timeout }));
  }),
  restart: operatorProcedure.input(z.object({ projectName, services, timeout })).subscription(async function* ({ ctx, input }) {
    yield* audited(ctx, 'compose.restart', input.projectName, (emit) =>
      engineOf(ctx).restart(input.projectName, input.services, emit, { timeout: input.timeout }),
    );
  }),
});
