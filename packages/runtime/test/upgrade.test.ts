import { spawn, spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SHIM_PATH } from '../src/native/paths.js';
import { createRuntime, type Runtime, type RuntimeOptions } from '../src/runtime.js';
import type { StdioSession } from '../src/types.js';
import { fixtureRegistry, freeTestSubnet, stopFixtureRegistry, sweepRuntimeLeftovers } from '@skiff/test-fixtures';
import { buildPreviousRelease, type PreviousRelease } from './programs/previous-release.js';
import { waitFor } from './helpers.js';

/**
 * Upgrades keep containers: the previous release (built from git history) starts
 * containers and is stopped, and this build opens the same root. Its containers are
 * adopted with their old shims still running, and everything a user does next works.
 */

const REPO = fileURLToPath(new URL('../../../', import.meta.url));
let release: PreviousRelease;
let image = '';
let insecure = '';

beforeAll(async () => {
  release = await buildPreviousRelease();
  const reg = await fixtureRegistry();
  insecure = reg.host;
  image = `${reg.host}/skiff-test/busybox:latest`;
}, 240_000);
afterAll(() => stopFixtureRegistry(), 60_000);

interface OldIds {
  running: string;
  stopped: string;
  created: string;
}

/** runs test/programs/old-release-child.ts against the previous release's runtime */
function runOldRelease<T = OldIds>(options: RuntimeOptions, extra: { subnet?: string; mode?: 'setup' | 'rollback'; id?: string }): Promise<T> {
  const env = { ...process.env };
  delete env.SKIFF_SHIM_PATH; // the old runtime starts its own shim
  const child = spawn(
    process.execPath,
    [
      '--import',
      'tsx',
      fileURLToPath(new URL('programs/old-release-child.ts', import.meta.url)),
      release.runtimeModule,
      JSON.stringify({ mode: 'setup', options, image, ...extra }),
    ],
    {
      cwd: REPO,
      env,
      stdio: ['ignore', 'pipe', 'pipe'],
    },
  );
  let out = '';
  let err = '';
  child.stdout.on('data', (d: Buffer) => (out += d.toString()));
  child.stderr.on('data', (d: Buffer) => (err += d.toString()));
  return new Promise((resolve, reject) => {
    child.once('error', reject);
    child.once('exit', (code) => {
      if (code !== 0) return reject(new Error(`the previous release's runtime failed (exit ${code}): ${err || out}`));
      resolve(JSON.parse(out.trim().split('\n').pop()!) as T);
    });
  });
}

const pidFile = (root: string, id: string, file: string) => Number(readFileSync(join(root, 'containers', id, file), 'utf8'));
function cmdline(pid: number): string[] {
  try {
    return readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0');
  } catch {
    return []; // gone
  }
}
const json = (path: string) => JSON.parse(readFileSync(path, 'utf8')) as Record<string, unknown>;

async function collect(session: StdioSession): Promise<{ code: number; out: string }> {
  let out = '';
  session.on('stdout', (d: Buffer) => (out += d.toString()));
  session.on('stderr', (d: Buffer) => (out += d.toString()));
  const code = await new Promise<number>((r) => session.on('exit', r));
  return { code, out };
}

async function logText(rt: Runtime, id: string): Promise<string> {
  let text = '';
  for await (const e of rt.containers.logs(id, { stdout: true, stderr: true })) text += e.line;
  return text;
}

/** the bridges of the root's user networks (the sweep knows only the default one) */
function deleteNetworkBridges(root: string): void {
  const dir = join(root, 'networks');
  for (const id of existsSync(dir) ? readdirSync(dir) : []) {
    const file = join(dir, id, 'network.json');
    const bridge = existsSync(file) ? (json(file).bridge as string | undefined) : undefined;
    if (bridge) spawnSync('ip', ['link', 'del', bridge], { stdio: 'ignore' });
  }
}

const status = async (rt: Runtime, id: string) => (await rt.containers.inspect(id)).State as { Status: string; Pid: number; ExitCode: number };

/** a private root, bridge, nft table and cgroup parent, swept after `fn` even when it fails */
async function withRoot(
  fn: (
    options: Required<Pick<RuntimeOptions, 'root' | 'insecureRegistries' | 'cgroupParent' | 'bridgeName' | 'nftTable'>>,
    opened: <R extends Runtime | undefined>(rt: R) => R,
  ) => Promise<void>,
): Promise<void> {
  const root = await mkdtemp(join(tmpdir(), 'skiff-upgrade-'));
  const tag = randomBytes(3).toString('hex');
  const options = { root, insecureRegistries: [insecure], cgroupParent: `skiff-test-${tag}`, bridgeName: `skt${tag}`, nftTable: `skiff_t${tag}` };
  let rt: Runtime | undefined;
  try {
    // `opened` tells the sweep which runtime is open now (none while the other release has the root)
    await fn(options, (r) => {
      rt = r;
      return r;
    });
  } finally {
    if (rt) {
      for (const c of await rt.containers.list({ all: true }).catch(() => []))
        await rt.containers
          .remove(c.id, { force: true })
          .catch((e: unknown) => console.warn(`test cleanup: removing container ${c.id}: ${(e as Error).message}`));
      await rt.networks.destroyAll().catch((e: unknown) => console.warn(`test cleanup: removing the networks: ${(e as Error).message}`));
      await rt.close().catch((e: unknown) => console.error(`upgrade test: closing the runtime: ${(e as Error).message}`));
    }
    await sweepRuntimeLeftovers({ root, bridge: options.bridgeName, nftTable: options.nftTable, cgroupParent: options.cgroupParent });
    deleteNetworkBridges(root); // when the old release ran but this build never opened the root
    await rm(root, { recursive: true, force: true });
  }
}

describe('upgrade from the previous release', () => {
  it('adopts what it left running, and logs, exec, attach, stop, start and rm work on it', async () => {
    await withRoot(async (options, opened) => {
      const root = options.root;
      const ids = await runOldRelease(options, { subnet: freeTestSubnet().subnet });
      // the old release wrote no versions: this build must read them as version 1
      expect(existsSync(join(root, 'format'))).toBe(false);
      expect(json(join(root, 'containers', ids.running, 'config.json')).version).toBeUndefined();
      const oldShim = pidFile(root, ids.running, 'shim.pid');
      const oldInit = pidFile(root, ids.running, 'init.pid');
      expect(cmdline(oldShim)[0]).toBe(join(release.dir, 'packages/runtime/build/Release/skiff-shim'));

      const rt = opened(await createRuntime(options));
      expect(json(join(root, 'format'))).toEqual({ version: 1 });
      const s = await status(rt, ids.running);
      expect(s).toMatchObject({ Status: 'running', Pid: oldInit });
      expect((await status(rt, ids.stopped)).Status).toBe('exited');
      expect((await status(rt, ids.created)).Status).toBe('created');
      expect((await rt.volumes.inspect('upgrade-vol')).labels).toEqual({ made: 'old' });
      expect(rt.networks.list().map((n) => n.name)).toContain('upgrade-net');

      // exec (this build's shim binary) into the container the old shim runs, and attach to the old shim
      const attach = await rt.containers.attach(ids.running);
      let attached = '';
      attach.on('stdout', (d: Buffer) => (attached += d.toString()));
      const kept = await collect(await rt.containers.exec(ids.running, { cmd: ['cat', '/data/kept'] }));
      expect(kept).toEqual({ code: 0, out: 'kept\n' });
      expect((await collect(await rt.containers.exec(ids.running, { cmd: ['sh', '-c', 'echo after-upgrade > /tmp/say'] }))).code).toBe(0);
      await waitFor(async () => attached.includes('after-upgrade'), 10_000, 'the line through the old shim on attach');
      attach.detach();
      await waitFor(async () => (await logText(rt!, ids.running)).includes('after-upgrade'), 10_000, 'the new line in the log');
      expect(await logText(rt, ids.running)).toMatch(/^before-upgrade\n(.|\n)*after-upgrade\n/);

      // stop reads the old shim's unversioned exit.json
      await rt.containers.stop(ids.running, { timeout: 1 });
      expect(await status(rt, ids.running)).toMatchObject({ Status: 'exited', ExitCode: 137 });
      await waitFor(async () => !cmdline(oldShim).includes('start'), 5000, 'the old shim gone');

      // started again: this build's shim, which says which protocol it speaks
      await rt.containers.start(ids.running);
      const newShim = pidFile(root, ids.running, 'shim.pid');
      expect(cmdline(newShim)[0]).toBe(SHIM_PATH);
      expect(json(join(root, 'containers', ids.running, 'shim-protocol.json'))).toEqual({ version: 1, pid: newShim });
      await waitFor(async () => (await logText(rt!, ids.running)).match(/before-upgrade/g)?.length === 2, 10_000, 'the second run in the log');
      expect(json(join(root, 'containers', ids.running, 'state.json')).version).toBe(1);

      // what the old release left stopped or never started runs under this one
      for (const [id, line] of [
        [ids.stopped, 'run-of-up-stopped'],
        [ids.created, 'created-by-old'],
      ] as const) {
        await rt.containers.start(id);
        expect((await status(rt, id)).Status).toBe('running');
        await waitFor(async () => (await logText(rt!, id)).includes(line), 10_000, `${line} in the log`);
      }
      expect((await logText(rt, ids.stopped)).match(/run-of-up-stopped/g)).toHaveLength(2);

      for (const id of Object.values(ids)) {
        await rt.containers.remove(id, { force: true });
        expect(existsSync(join(root, 'containers', id))).toBe(false);
      }
      expect(await rt.containers.list({ all: true })).toEqual([]);
    });
  }, 180_000);

  it('rolls back: the previous release adopts what this one started, and this one adopts it again', async () => {
    await withRoot(async (options, opened) => {
      let rt = opened(await createRuntime(options));
      await rt.images.pull(image);
      await rt.volumes.create('upgrade-vol');
      const say = 'echo before-rollback; echo kept > /data/kept; while :; do if [ -f /tmp/say ]; then cat /tmp/say; rm /tmp/say; fi; sleep 0.1; done';
      const { id } = await rt.containers.run({ image, cmd: ['sh', '-c', say], mounts: [{ type: 'volume', source: 'upgrade-vol', target: '/data' }] });
      await waitFor(async () => (await logText(rt, id)).includes('before-rollback'), 10_000, 'the first line');
      const newShim = pidFile(options.root, id, 'shim.pid');
      await rt.close();
      opened(undefined);

      const seen = await runOldRelease<Record<string, unknown>>(options, { mode: 'rollback', id });
      expect(seen).toMatchObject({
        adopted: { Status: 'running' },
        execCode: 0,
        execOut: 'kept\n',
        logs: 'before-rollback\n',
        stopped: { Status: 'exited', ExitCode: 137 },
        restarted: { Status: 'running' },
      });
      const oldShim = pidFile(options.root, id, 'shim.pid');
      expect(oldShim).not.toBe(newShim);
      expect(cmdline(oldShim)[0]).toBe(join(release.dir, 'packages/runtime/build/Release/skiff-shim'));
      // the old shim writes no shim-protocol.json: the one left names the earlier shim
      expect(json(join(options.root, 'containers', id, 'shim-protocol.json')).pid).toBe(newShim);

      rt = opened(await createRuntime(options));
      expect((await status(rt, id)).Status).toBe('running');
      const attach = await rt.containers.attach(id);
      let attached = '';
      attach.on('stdout', (d: Buffer) => (attached += d.toString()));
      expect((await collect(await rt.containers.exec(id, { cmd: ['sh', '-c', 'echo upgraded-again > /tmp/say'] }))).code).toBe(0);
      await waitFor(async () => attached.includes('upgraded-again'), 10_000, 'the line through the old shim on attach');
      attach.detach();
      await rt.containers.remove(id, { force: true });
    });
  }, 180_000);
});
