import { randomBytes } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { ContainerManager } from '../src/container/container-manager.js';
import type { ImageStore } from '../src/image/image-store.js';
import { createRuntime, type Runtime, type RuntimeOptions } from '../src/runtime.js';
import type { ContainerCreateSpec } from '../src/types.js';
import { afterAll, beforeAll } from 'vitest';
import { fixtureRegistry, stopFixtureRegistry, sweepRuntimeLeftovers } from '@skiff/test-fixtures';

/** A runtime on a throw-away root and cgroup parent; `dispose` removes everything it made. */
export class TestRuntime {
  private constructor(
    public rt: Runtime,
    readonly root: string,
    readonly cgroupParent: string,
    readonly options: RuntimeOptions,
  ) {}

  /** the image store behind `rt.images`, for tests that look at its blobs and layer dirs */
  get imageStore(): ImageStore {
    return this.rt.images as ImageStore;
  }

  /** the container manager behind `rt.containers`, for tests that reach its records in memory */
  get containerManager(): ContainerManager {
    return this.rt.containers as ContainerManager;
  }

  static async create(insecureRegistries: string[], extra: Partial<RuntimeOptions> = {}): Promise<TestRuntime> {
    const root = await mkdtemp(join(tmpdir(), 'skiff-rt-'));
    const tag = randomBytes(3).toString('hex');
    const cgroupParent = `skiff-test-${tag}`;
    // its own bridge and nft table, so tests never touch a real agent's networking
    const options: RuntimeOptions = { root, insecureRegistries, cgroupParent, bridgeName: `skt${tag}`, nftTable: `skiff_t${tag}`, ...extra };
    return new TestRuntime(await createRuntime(options), root, cgroupParent, options);
  }

  /**
   * Closes the runtime, lets `meanwhile` run another agent on the same root and options (a
   * child process the test may kill), then opens the runtime again, like an agent restart.
   */
  async restartAround(meanwhile: (options: RuntimeOptions) => Promise<void>): Promise<Runtime> {
    await this.rt.close();
    await meanwhile(this.options);
    this.rt = await createRuntime(this.options);
    return this.rt;
  }

  /** closes and opens the runtime again on the same root, like an agent restart */
  async reopen(): Promise<Runtime> {
    await this.rt.close();
    this.rt = await createRuntime(this.options);
    return this.rt;
  }

  async dispose(): Promise<void> {
    for (const c of await this.rt.containers.list({ all: true }).catch(() => [])) {
      await this.rt.containers
        .remove(c.id, { force: true })
        .catch((e: unknown) => console.warn(`test cleanup: removing container ${c.id}: ${(e as Error).message}`));
    }
    await this.rt.networks.destroyAll().catch((e: unknown) => console.warn(`test cleanup: removing the networks: ${(e as Error).message}`));
    await this.rt.close();
    // what no user listing shows (a failed test's build step) and what a killed child agent left
    await sweepRuntimeLeftovers({ root: this.root, bridge: this.options.bridgeName!, nftTable: this.options.nftTable!, cgroupParent: this.cgroupParent });
    await rm(this.root, { recursive: true, force: true });
  }
}

/** Runs a container attached and collects its output and exit code. */
export async function runCollect(
  rt: Runtime,
  spec: ContainerCreateSpec,
  stdin?: string,
): Promise<{ id: string; code: number; stdout: string; stderr: string }> {
  const { id, session } = await rt.containers.run(spec, { attach: true });
  let stdout = '';
  let stderr = '';
  session!.on('stdout', (d: Buffer) => (stdout += d.toString()));
  session!.on('stderr', (d: Buffer) => (stderr += d.toString()));
  const code = await new Promise<number>((resolve) => {
    session!.on('exit', resolve);
    if (stdin !== undefined) {
      session!.write(Buffer.from(stdin));
      session!.closeStdin();
    }
  });
  return { id, code, stdout, stderr };
}

export async function waitFor<T>(fn: () => Promise<T | undefined | false>, timeoutMs = 10_000, what = 'condition'): Promise<T> {
  const end = Date.now() + timeoutMs;
  for (;;) {
    const v = await fn();
    if (v) return v;
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

/**
 * The usual set-up of a test file that runs containers: the fixture registry, a TestRuntime
 * and the busybox test image pulled before the tests, everything removed after them.
 * Read `.t` and `.image` inside tests (they are set once beforeAll has run).
 */
export function useTestRuntime(extra: Partial<RuntimeOptions> = {}): { readonly t: TestRuntime; readonly image: string } {
  let t: TestRuntime | undefined;
  let image = '';
  beforeAll(async () => {
    const reg = await fixtureRegistry();
    image = `${reg.host}/skiff-test/busybox:latest`;
    t = await TestRuntime.create([reg.host], extra);
    await t.rt.images.pull(image);
  }, 120_000);
  afterAll(async () => {
    await t?.dispose();
    await stopFixtureRegistry();
  }, 60_000);
  return {
    get t() {
      return t!;
    },
    get image() {
      return image;
    },
  };
}

/** what `cmd` writes (stdout and stderr together) when exec'd in a running container */
export async function execOutput(rt: Runtime, id: string, cmd: string[]): Promise<string> {
  const s = await rt.containers.exec(id, { cmd });
  let out = '';
  s.on('stdout', (d: Buffer) => (out += d.toString()));
  s.on('stderr', (d: Buffer) => (out += d.toString()));
  await new Promise<number>((r) => s.on('exit', r));
  return out;
}
