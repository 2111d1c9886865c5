import { mkdir, mkdtemp, rm } from 'node:fs/promises';
import { join, posix } from 'node:path';
import { unpackIntoRoot } from '../container/fs/copy.js';
import { asInternal } from '../container/store/internal-containers.js';
import { resolveUser } from '../container/spec/user.js';
import type { ImageStore } from '../image/image-store.js';
import type { ContainerService, ImageConfig } from '../types.js';
import type { BuildBackend } from './builder.js';
import type { ImageRunConfig } from './image-config.js';
import { logFailure, logger } from '@skiff/logger';

const log = logger.child({ component: 'build' });

/**
 * The builder's runtime parts: this runtime's image store and containers. The build's
 * containers are internal (internal-containers.ts): no user sees or touches them, and an
 * agent that dies mid-build removes them when it starts again.
 */
export function runtimeBackend(images: ImageStore, containers: ContainerService, tmpRoot: string): BuildBackend {
  const internal = <T>(fn: () => Promise<T>) => asInternal('build', fn);
  const asImageConfig = (c: ImageRunConfig) => c as ImageConfig & { OnBuild?: string[] | null };
  return {
    async resolveImage(ref, onStatus, signal) {
      let img = await images.inspect(ref).catch(() => undefined);
      if (!img) {
        onStatus(`Pulling ${ref}`);
        img = await images.pull(ref, { signal, onProgress: (p) => p.status === 'done' && p.id !== 'manifest' && p.id !== 'config' && onStatus(`${p.id.replace(/^sha256:/, '').slice(0, 12)}: Pull complete`) });
      }
      return { id: img.id, config: img.config as ImageRunConfig };
    },
    imageExists: (id) => images.inspect(id).then(() => true, () => false),
    imageConfig: async (id) => (await images.inspect(id)).config as ImageRunConfig,
    async deriveImage(parent, change) {
      if (change.layer?.kind === 'container') {
        const containerId = change.layer.containerId;
        const { id } = await internal(() => containers.commit(containerId, { config: asImageConfig(change.config), createdBy: change.createdBy, pause: false }));
        return id;
      }
      const created = await images.createImage({
        parent,
        source: change.layer ? { kind: 'directory', dir: change.layer.dir } : undefined,
        config: asImageConfig(change.config),
        history: { created_by: change.createdBy },
      });
      return created.id;
    },
    async runStep(image, spec, onOutput, signal) {
      if (!image) throw new Error('RUN needs a base image with a shell: this stage is FROM scratch with no files');
      // no health probes inside a RUN step: they would race the step and could write into its layer
      const { id } = await internal(() =>
        containers.create({ image, cmd: spec.cmd, entrypoint: [], env: spec.env, user: spec.user || undefined, workingDir: spec.workingDir || undefined, network: spec.network, healthcheck: { test: ['NONE'] } }),
      );
      const session = await internal(() => containers.startAttached(id)).catch(async (e: unknown) => {
        await internal(() => containers.remove(id, { force: true })).catch(logFailure(log, 'warn', 'removing a build container that failed to start', { container: id }));
        throw e;
      });
      // debug: the container may have exited just now, which fails the kill harmlessly
      const onAbort = () => void internal(() => containers.kill(id)).catch(logFailure(log, 'debug', 'killing a cancelled build container', { container: id }));
      signal?.addEventListener('abort', onAbort);
      if (signal?.aborted) onAbort(); // cancelled while the container started: the listener came too late
      try {
        const exitCode = await new Promise<number>((resolve) => {
          session.on('stdout', (d: Buffer) => onOutput('stdout', d));
          session.on('stderr', (d: Buffer) => onOutput('stderr', d));
          session.on('exit', resolve);
        });
        return { containerId: id, exitCode };
      } finally {
        signal?.removeEventListener('abort', onAbort);
      }
    },
    removeContainer: (id) => internal(() => containers.remove(id, { force: true })),
    discardImages: (ids, keep) => images.discardUnnamed(ids, keep),
    copyFromImage: (image, paths, dest) => internal(async () => {
      const { id } = await containers.create({ image, cmd: ['true'], entrypoint: [], network: 'none' });
      try {
        for (const p of paths) {
          const parent = posix.dirname(p);
          await mkdir(join(dest, parent), { recursive: true });
          await unpackIntoRoot(dest, parent, await containers.copyFrom(id, p));
        }
      } finally {
        await containers.remove(id, { force: true }).catch(logFailure(log, 'warn', 'removing a build container', { container: id }));
      }
    }),
    async resolveOwner(image, spec) {
      const u = await resolveUser(spec, image ? await images.layerDirs(image) : []);
      return { uid: u.uid, gid: u.gid };
    },
    async tempDir() {
      await mkdir(tmpRoot, { recursive: true });
      const dir = await mkdtemp(join(tmpRoot, 'build-'));
      return { dir, remove: () => rm(dir, { recursive: true, force: true }) };
    },
    tag: (id, ref) => images.tag(id, ref),
  };
}
