import { posix } from 'node:path';
import { InvalidArgument, NotFound } from '../errors.js';
import { BuildCache } from './build-cache.js';
import { RunningBuilds, type BuildImages } from './build-images.js';
import { BuildContext } from './context.js';
import { readContextFile } from './context-read.js';
import { parseArg, parseDockerfile, type Dockerfile, type Instruction, type Stage } from './dockerfile.js';
import { applyMetadata, commandOf, METADATA_KEYWORDS, type ImageRunConfig } from './image-config.js';
import { processWord, processWords } from './shell-words.js';
import { stageBase, stagesToBuild, findStage } from './stages.js';
import { stageCopy, type SourceRoot } from './copy-staging.js';
import { cleanupFailed, logFailure, logger } from '@skiff/logger';

const log = logger.child({ component: 'build' });

/** the Dockerfile and .dockerignore are read whole: parseDockerfile refuses more than this anyway */
const MAX_CONTEXT_TEXT = 1024 * 1024;

/**
 * The Dockerfile builder: runs the stages a target needs, one image per step, with
 * Docker's classic cache (parent image + step + inputs). The runtime parts it needs —
 * images, containers, layers — come in through `BuildBackend`, so this module is only
 * the build's logic.
 */

/** A new layer's content, as the layer writer takes it. */
export type StepLayer = { kind: 'directory'; dir: string } | { kind: 'container'; containerId: string };

export interface BuildBackend {
  /** an image's id and run config, pulling it when it is not here (FROM, COPY --from=image) */
  resolveImage(ref: string, onStatus: (line: string) => void, signal?: AbortSignal): Promise<{ id: string; config: ImageRunConfig }>;
  imageExists(id: string): Promise<boolean>;
  imageConfig(id: string): Promise<ImageRunConfig>;
  /** a new image on `parent` (undefined = scratch) with one more history entry and maybe one more layer */
  deriveImage(parent: string | undefined, change: { layer?: StepLayer; config: ImageRunConfig; createdBy: string }): Promise<string>;
  /** RUN: a container of `image` running `cmd` to completion, output streamed; the caller removes it */
  runStep(image: string | undefined, spec: { cmd: string[]; env: string[]; user?: string; workingDir?: string; network?: string }, onOutput: (stream: 'stdout' | 'stderr', data: Buffer) => void, signal?: AbortSignal): Promise<{ containerId: string; exitCode: number }>;
  removeContainer(id: string): Promise<void>;
  /** copies `paths` (absolute, in the image) out of an image into `dest`, keeping their place (`/a/b` → `dest/a/b`) */
  copyFromImage(image: string, paths: string[], dest: string): Promise<void>;
  /** `--chown` with names: resolved against the image's /etc/passwd and /etc/group */
  resolveOwner(image: string | undefined, spec: string): Promise<{ uid: number; gid: number }>;
  /** a scratch directory for staging a layer, removed by the returned function */
  tempDir(): Promise<{ dir: string; remove: () => Promise<void> }>;
  /** tags the result */
  tag(imageId: string, ref: string): Promise<void>;
  /** removes the images of `ids` that no tag, container or `keep` holds (a cancelled build's); returns those removed */
  discardImages(ids: string[], keep: (id: string) => boolean): Promise<string[]>;
}

export interface BuildOptions {
  context: string;
  /** path of the Dockerfile inside the context (default `Dockerfile`) */
  dockerfile?: string;
  /** Dockerfile text given directly (dashboard editor, `-f -`) */
  dockerfileText?: string;
  tags?: string[];
  buildArgs?: Record<string, string>;
  noCache?: boolean;
  target?: string;
  network?: string;
  signal?: AbortSignal;
  onEvent?: (e: BuildEvent) => void;
}

export type BuildEvent =
  | { type: 'step'; text: string }
  | { type: 'cached' }
  | { type: 'output'; stream: 'stdout' | 'stderr'; data: string }
  | { type: 'status'; text: string }
  | { type: 'built'; id: string }
  | { type: 'tagged'; ref: string };

/** ARGs predefined by Docker: usable without declaring them, never in the image history */
const PREDEFINED_ARGS = ['HTTP_PROXY', 'http_proxy', 'HTTPS_PROXY', 'https_proxy', 'FTP_PROXY', 'ftp_proxy', 'NO_PROXY', 'no_proxy', 'ALL_PROXY', 'all_proxy'];

interface StageState {
  image: string | undefined;
  config: ImageRunConfig;
  /** ARGs declared in this stage, with their values */
  args: Map<string, string | undefined>;
  /** the cache chain: the image id, or for scratch a fixed root */
  cacheParent: string;
}

export class Builder {
  private readonly running = new RunningBuilds();
  /** each running build's images, found from its options (the steps get those passed down) */
  private readonly imagesOf = new WeakMap<BuildOptions, BuildImages>();

  constructor(
    private readonly backend: BuildBackend,
    private readonly cache: BuildCache,
  ) {}

  /** A cancelled build (its signal aborted) removes the untagged images it made; a failed one keeps them as cache, as Docker does. */
  async build(opts: BuildOptions): Promise<{ id: string }> {
    const own = { ...opts };
    const images = this.running.begin();
    this.imagesOf.set(own, images);
    try {
      return await this.buildStages(own);
    } catch (e) {
      if (opts.signal?.aborted && images.made.length) {
        await this.backend
          .discardImages([...images.made].reverse(), (id) => this.running.usedByOthers(images, id))
          .catch(logFailure(log, 'warn', 'removing the images of a cancelled build', { images: images.made.length }));
      }
      throw e;
    } finally {
      this.running.end(images);
    }
  }

  private async buildStages(opts: BuildOptions): Promise<{ id: string }> {
    const emit = opts.onEvent ?? (() => {});
    const text = opts.dockerfileText ?? (await this.readDockerfile(opts.context, opts.dockerfile ?? 'Dockerfile'));
    const df = parseDockerfile(text);
    const dockerignore = readContextFile(opts.context, '.dockerignore', MAX_CONTEXT_TEXT) ?? '';
    const ctx = new BuildContext(opts.context, dockerignore);
    const buildArgs = opts.buildArgs ?? {};
    const stages = stagesToBuild(df, buildArgs, opts.target);
    const built = new Map<number, string | undefined>();
    const total = stages.reduce((n, s) => n + 1 + s.instructions.length, 0);
    let step = 0;
    let last: string | undefined;
    for (const stage of stages) {
      const base = stageBase(df, stage, buildArgs);
      emit({ type: 'step', text: `Step ${++step}/${total} : FROM ${stage.from}${stage.name ? ` AS ${stage.name}` : ''}` });
      const state: StageState = { image: undefined, config: {}, args: new Map(), cacheParent: 'scratch' };
      if (base.kind === 'stage') {
        state.image = built.get(base.index);
        state.config = state.image ? await this.backend.imageConfig(state.image) : {};
      } else if (base.kind === 'image') {
        const img = await this.backend.resolveImage(base.ref, (line) => emit({ type: 'status', text: line }), opts.signal);
        state.image = img.id;
        state.config = img.config;
      }
      state.cacheParent = state.image ?? 'scratch';
      emit({ type: 'status', text: ` ---> ${short(state.image)}` });
      for (const ins of stage.instructions) {
        opts.signal?.throwIfAborted();
        emit({ type: 'step', text: `Step ${++step}/${total} : ${ins.original.replace(/\\\n\s*/g, ' ')}` });
        await this.step(df, stage, ins, state, { ctx, buildArgs, built, opts, emit });
        emit({ type: 'status', text: ` ---> ${short(state.image)}` });
      }
      // an empty stage (FROM only) still is an image
      built.set(stage.index, state.image);
      last = state.image;
    }
    if (!last) throw new InvalidArgument('the build produced no image: a scratch stage needs at least one instruction');
    emit({ type: 'built', id: last });
    for (const t of opts.tags ?? []) {
      await this.backend.tag(last, t);
      emit({ type: 'tagged', ref: t });
    }
    return { id: last };
  }

  private async readDockerfile(context: string, path: string): Promise<string> {
    const rel = posix.normalize(path);
    if (rel.startsWith('../') || rel === '..') throw new InvalidArgument(`the Dockerfile (${path}) must be inside the build context`);
    // through an fd in the context root: a Dockerfile symlinked to a host file must not be read
    const text = readContextFile(context, rel, MAX_CONTEXT_TEXT);
    if (text === undefined) throw new NotFound(`failed to read dockerfile: open ${path}: no such file or directory`);
    return text;
  }

  private async step(
    df: Dockerfile,
    stage: Stage,
    ins: Instruction,
    state: StageState,
    env: { ctx: BuildContext; buildArgs: Record<string, string>; built: Map<number, string | undefined>; opts: BuildOptions; emit: (e: BuildEvent) => void },
  ): Promise<void> {
    const { emit, opts } = env;
    const argLookup = (name: string) => (state.args.has(name) ? state.args.get(name) : undefined);
    if (ins.keyword === 'ARG') {
      for (const a of parseArg(ins.raw, ins.line, df.escape)) {
        // a global ARG re-declared without a value takes the global's value
        const global = df.globalArgs.find((g) => g.name === a.name);
        const dflt = a.value !== undefined ? processWord(a.value, (n) => envOrArg(state, n), df.escape) : global?.value;
        state.args.set(a.name, a.name in env.buildArgs ? env.buildArgs[a.name] : dflt);
      }
      return;
    }
    if (METADATA_KEYWORDS.has(ins.keyword)) {
      const { config, createdBy } = applyMetadata(state.config, ins, { args: argLookup, escape: df.escape });
      await this.cached(state, createdBy, [], opts, emit, () => this.backend.deriveImage(state.image, { config, createdBy }));
      state.config = config;
      return;
    }
    if (ins.keyword === 'RUN') {
      const cmd = commandOf(ins, state.config.Shell);
      // build args reach RUN as environment (not saved in the image), and key the cache
      const argEnv = [...state.args].filter(([, v]) => v !== undefined).map(([k, v]) => `${k}=${v}`);
      for (const p of PREDEFINED_ARGS) if (env.buildArgs[p] !== undefined && !state.args.has(p)) argEnv.push(`${p}=${env.buildArgs[p]}`);
      const declared = argEnv.filter((e) => !PREDEFINED_ARGS.includes(e.split('=')[0]!));
      // Docker's history shows the build args a RUN saw: `RUN |2 A=1 B=2 /bin/sh -c …`
      const argPrefix = declared.length ? `|${declared.length} ${declared.join(' ')} ` : '';
      const createdBy = `RUN ${argPrefix}${ins.json ? JSON.stringify(ins.json) : `${(state.config.Shell ?? ['/bin/sh', '-c']).join(' ')} ${ins.raw}`}`;
      const netFlag = ins.flags.network;
      if (netFlag && !['default', 'none', 'host'].includes(netFlag)) throw new InvalidArgument(`Dockerfile:${ins.line}: RUN --network must be default, none or host`);
      // the Dockerfile is the image author's: the host network is the caller's grant (BuildKit's network.host entitlement)
      if (netFlag === 'host' && opts.network !== 'host') throw new InvalidArgument(`Dockerfile:${ins.line}: RUN --network=host needs a build with --network host`);
      await this.cached(state, createdBy, declared, opts, emit, async () => {
        const { containerId, exitCode } = await this.backend.runStep(
          state.image,
          { cmd, env: mergeEnv(state.config.Env ?? [], argEnv), user: state.config.User, workingDir: state.config.WorkingDir, network: netFlag === 'default' ? undefined : (netFlag ?? opts.network) },
          (stream, data) => emit({ type: 'output', stream, data: data.toString() }),
          opts.signal,
        );
        try {
          if (exitCode !== 0) throw new InvalidArgument(`Dockerfile:${ins.line}: The command '${cmd.join(' ')}' returned a non-zero code: ${exitCode}`);
          return await this.backend.deriveImage(state.image, { layer: { kind: 'container', containerId }, config: state.config, createdBy });
        } finally {
          await this.backend.removeContainer(containerId).catch(cleanupFailed(log, 'removing a RUN step container', { container: containerId }));
        }
      });
      return;
    }
    if (ins.keyword === 'COPY' || ins.keyword === 'ADD') {
      await this.copy(df, stage, ins, state, env);
      return;
    }
    throw new InvalidArgument(`Dockerfile:${ins.line}: ${ins.keyword} is not supported`);
  }

  /** runs `make` unless the cache has this step on this parent; either way the stage moves on */
  private async cached(state: StageState, createdBy: string, extra: string[], opts: BuildOptions, emit: (e: BuildEvent) => void, make: () => Promise<string>): Promise<void> {
    const key = BuildCache.key(state.cacheParent, createdBy, extra);
    const mine = this.imagesOf.get(opts);
    // marked used before the check: a cancelled build must not remove it from under this one
    const hit = opts.noCache ? undefined : await this.cache.get(key, (id) => (mine?.used.add(id), this.backend.imageExists(id)));
    if (hit) {
      emit({ type: 'cached' });
      state.image = hit;
    } else {
      state.image = await make();
      mine?.made.push(state.image);
      mine?.used.add(state.image);
      await this.cache.set(key, state.image);
    }
    state.cacheParent = state.image;
  }

  private async copy(
    df: Dockerfile,
    stage: Stage,
    ins: Instruction,
    state: StageState,
    env: { ctx: BuildContext; buildArgs: Record<string, string>; built: Map<number, string | undefined>; opts: BuildOptions; emit: (e: BuildEvent) => void },
  ): Promise<void> {
    const lookup = (n: string) => envOrArg(state, n);
    const words = ins.json ? ins.json.map((w) => processWord(w, lookup, df.escape, {})) : processWords(ins.raw, lookup, df.escape);
    if (words.length < 2) throw new InvalidArgument(`Dockerfile:${ins.line}: ${ins.keyword} requires at least two arguments: source(s) and destination`);
    const dest = words.at(-1)!;
    const sources = words.slice(0, -1);
    if (sources.some((s) => /^[a-z][a-z0-9+.-]*:\/\//i.test(s))) throw new InvalidArgument(`Dockerfile:${ins.line}: ADD from a URL is not supported (the build has no network to the outside)`);
    const from = ins.flags.from !== undefined ? processWord(ins.flags.from, lookup, df.escape) : undefined;
    const chown = ins.flags.chown !== undefined ? processWord(ins.flags.chown, lookup, df.escape) : undefined;
    const chmod = ins.flags.chmod;
    if (chmod !== undefined && !/^[0-7]{3,4}$/.test(chmod)) throw new InvalidArgument(`Dockerfile:${ins.line}: invalid --chmod "${chmod}": use octal, like 755`);
    const destAbs = dest.startsWith('/') ? dest : posix.join(state.config.WorkingDir || '/', dest) + (dest.endsWith('/') || dest === '.' ? '/' : '');
    const flags = [from !== undefined && `--from=${from}`, chown && `--chown=${chown}`, chmod && `--chmod=${chmod}`].filter(Boolean).join(' ');
    const staging = await this.backend.tempDir();
    const fromDir = from !== undefined ? await this.backend.tempDir() : undefined;
    try {
      let inputs: string;
      let root: SourceRoot;
      let copyOut: (() => Promise<void>) | undefined;
      if (from !== undefined) {
        const dep = findStage(df, from, stage.index);
        let image: string | undefined;
        if (dep) image = env.built.get(dep.index);
        else image = (await this.backend.resolveImage(from, (line) => env.emit({ type: 'status', text: line }), env.opts.signal)).id;
        if (!image) throw new InvalidArgument(`Dockerfile:${ins.line}: stage ${from} is empty (scratch with no instructions)`);
        inputs = `from:${image}:${sources.join('\0')}`;
        root = { kind: 'dir', dir: fromDir!.dir };
        copyOut = () => this.backend.copyFromImage(image!, sources.map((p) => posix.normalize(`/${p}`)), fromDir!.dir);
      } else {
        const files = await env.ctx.files();
        const matched = (await Promise.all(sources.map((s) => env.ctx.match(s, files)))).flat();
        inputs = await env.ctx.checksum(matched);
        root = { kind: 'context', ctx: env.ctx };
      }
      const createdBy = `${ins.keyword} ${flags ? `${flags} ` : ''}${sources.join(' ')} ${destAbs}`;
      await this.cached(state, createdBy, [inputs], env.opts, env.emit, async () => {
        await copyOut?.();
        const owner = !chown ? { uid: 0, gid: 0 } : /^\d+(:\d+)?$/.test(chown) ? { uid: Number(chown.split(':')[0]), gid: Number(chown.split(':')[1] ?? chown.split(':')[0]) } : await this.backend.resolveOwner(state.image, chown);
        await stageCopy({ keyword: ins.keyword as 'COPY' | 'ADD', line: ins.line, sources, dest: destAbs, owner, mode: chmod ? parseInt(chmod, 8) : undefined, staging: staging.dir }, root);
        return this.backend.deriveImage(state.image, { layer: { kind: 'directory', dir: staging.dir }, config: state.config, createdBy });
      });
    } finally {
      await staging.remove();
      await fromDir?.remove();
    }
  }
}

function short(id: string | undefined): string {
  return id ? id.replace(/^sha256:/, '').slice(0, 12) : 'scratch';
}

function envOrArg(state: StageState, name: string): string | undefined {
  for (const e of state.config.Env ?? []) if (e.startsWith(`${name}=`)) return e.slice(name.length + 1);
  return state.args.get(name);
}

/** the image's env first; a build arg never overrides an ENV of the same name (Docker's rule) */
function mergeEnv(env: string[], args: string[]): string[] {
  const names = new Set(env.map((e) => e.split('=')[0]));
  return [...env, ...args.filter((a) => !names.has(a.split('=')[0]))];
}
