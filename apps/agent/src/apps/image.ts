import { mkdir, rm } from 'node:fs/promises';
import { join } from 'node:path';
import type { App } from '@skiff/db';
import { parseReference } from '@skiff/runtime';
import type { AppContext } from './context.js';
import type { DeployLog } from './deploy-log.js';
import type { GitAuth } from './ports.js';

export interface BuiltImage {
  imageId: string;
  imageRef?: string;
  commit?: string;
  message?: string;
}

/** the repository Skiff tags each deployment's image with, so it stays for rollbacks */
export const appRepo = (name: string) => `skiff-app/${name}`;

/** the image a deployment runs: pulled (image sources) or built from the fetched source (git) */
export async function obtainImage(
  ctx: AppContext,
  app: App,
  number: number,
  out: DeployLog,
  signal: AbortSignal,
  /** the fetched commit, before the build (a build that fails still says what it built) */
  onSource: (commit: string, message: string) => Promise<void>,
): Promise<BuiltImage> {
  const built = app.sourceKind === 'git' ? await buildFromGit(ctx, app, number, out, signal, onSource) : await pullImage(ctx, app.image ?? '', out, signal);
  await ctx.runtime.images.tag(built.imageId, `${appRepo(app.name)}:${number}`);
  return built;
}

async function pullImage(ctx: AppContext, ref: string, out: DeployLog, signal: AbortSignal): Promise<BuiltImage> {
  out.line(`pulling ${ref}`);
  const auth = await storedCredentials(ctx, ref);
  try {
    const image = await ctx.runtime.images.pull(ref, { signal, auth });
    out.line(`pulled ${ref} (${image.id})`);
    return { imageId: image.id, imageRef: ref };
  } catch (e) {
    signal.throwIfAborted();
    // an image built or loaded here has no registry to come from
    const local = await ctx.runtime.images.inspect(ref).catch(() => undefined);
    if (!local) throw e;
    out.line(`pull failed (${(e as Error).message}); using the local image ${local.id}`);
    return { imageId: local.id, imageRef: ref };
  }
}

/** credentials saved with `skiff login` for the reference's registry */
async function storedCredentials(ctx: AppContext, ref: string): Promise<{ username: string; password: string } | undefined> {
  let registry: string;
  try {
    registry = parseReference(ref).registry;
  } catch (e) {
    ctx.log.debug('unparsable image reference, pulled without credentials', { ref, err: e });
    return undefined;
  }
  const row = await ctx.db.registryCredential.findUnique({ where: { registry } });
  return row ? { username: row.username, password: ctx.secrets.open(row.secretEncrypted) } : undefined;
}

function gitAuthOf(ctx: AppContext, app: App): GitAuth {
  if (app.deployKeySealed) return { kind: 'ssh', privateKey: ctx.secrets.open(app.deployKeySealed) };
  if (app.gitAuthSealed) return JSON.parse(ctx.secrets.open(app.gitAuthSealed)) as GitAuth;
  return { kind: 'none' };
}

/** checkout → the Dockerfile in the context directory → an image (the build cache applies) */
async function buildFromGit(
  ctx: AppContext,
  app: App,
  number: number,
  out: DeployLog,
  signal: AbortSignal,
  onSource: (commit: string, message: string) => Promise<void>,
): Promise<BuiltImage> {
  const dest = join(ctx.root, 'apps', app.name, `src-${number}`);
  await rm(dest, { recursive: true, force: true });
  await mkdir(join(ctx.root, 'apps', app.name), { recursive: true, mode: 0o700 });
  try {
    out.line(`fetching ${app.gitUrl} (${app.branch ?? 'main'})`);
    const src = await ctx.git.fetchSource({
      url: app.gitUrl ?? '',
      branch: app.branch ?? 'main',
      path: app.path ?? undefined,
      auth: gitAuthOf(ctx, app),
      dest,
      signal,
      logger: ctx.log.child({ app: app.name }),
    });
    out.line(`commit ${src.commit}: ${src.message.split('\n')[0]}`);
    await onSource(src.commit, src.message);
    const { id } = await ctx.runtime.build({
      context: src.contextDir,
      signal,
      onEvent: (e) => {
        if (e.type === 'step') out.line(e.text);
        else if (e.type === 'cached') out.line(' ---> Using cache');
        else if (e.type === 'output') out.append(e.data);
        else if (e.type === 'status') out.line(e.text);
      },
    });
    out.line(`built ${id}`);
    return { imageId: id, commit: src.commit, message: src.message };
  } finally {
    // the image holds what the build needed; the checkout is only its input
    await rm(dest, { recursive: true, force: true });
  }
}
