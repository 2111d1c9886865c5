import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, rmdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { fixtureRegistry, stopFixtureRegistry, runtimeViolations } from '@skiff/test-fixtures';
import { TestRuntime } from './helpers.js';

// the runtime root is a small tmpfs, so the disk can be filled for real
let root: string;
let t: TestRuntime;
let image: string;
const created = new Set<string>();

beforeAll(async () => {
  const reg = await fixtureRegistry();
  image = `${reg.host}/skiff-test/busybox:latest`;
  root = mkdtempSync(join(tmpdir(), 'skiff-rt-full-'));
  const m = spawnSync('mount', ['-t', 'tmpfs', '-o', 'size=24m,mode=0711', 'tmpfs', root]);
  if (m.status !== 0) throw new Error(`mounting a tmpfs: ${m.stderr}`);
  t = await TestRuntime.create([reg.host], { root });
  t.rt.onEvent((e) => {
    if (e.type === 'container' && e.action === 'create') created.add(e.id);
  });
  await t.rt.images.pull(image);
}, 120_000);

afterAll(async () => {
  await t?.dispose();
  spawnSync('umount', ['-l', root]);
  if (existsSync(root)) rmdirSync(root);
  await stopFixtureRegistry();
}, 60_000);

/** writes filler files until the filesystem refuses (ENOSPC), returning them */
function fillDisk(): string[] {
  const files: string[] = [];
  const chunk = Buffer.alloc(256 * 1024, 1);
  for (let i = 0; ; i++) {
    const f = join(root, `filler-${i}`);
    try {
      writeFileSync(f, chunk);
      files.push(f);
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'ENOSPC') throw e;
      // the last bytes: smaller writes until not even 1 KiB fits
      for (let j = 0; ; j++) {
        try {
          writeFileSync(`${f}-${j}`, Buffer.alloc(1024, 1));
        } catch {
          return files;
        }
      }
    }
  }
}

describe('a full disk', () => {
  it('still lets rm, rm -f, stop and kill work, with clear errors elsewhere and nothing half-written', async () => {
    const running = (await t.rt.containers.run({ image, cmd: ['sleep', '1d'], ports: [{ containerPort: 80, protocol: 'tcp' }] })).id;
    const stopped = (await t.rt.containers.run({ image, cmd: ['sleep', '1d'] })).id;
    const killed = (await t.rt.containers.run({ image, cmd: ['sleep', '1d'] })).id;
    const plain = (await t.rt.containers.create({ image, cmd: ['true'] })).id;
    fillDisk();

    await t.rt.containers.stop(stopped, { timeout: 0 });
    expect(((await t.rt.containers.inspect(stopped)).State as { Status: string }).Status).toBe('exited');
    await t.rt.containers.kill(killed);
    await t.rt.containers.remove(running, { force: true });
    await t.rt.containers.remove(plain);
    await t.rt.containers.remove(stopped);
    await t.rt.containers.remove(killed, { force: true });
    expect(await t.rt.containers.list({ all: true })).toEqual([]);
    expect(await runtimeViolations(t, created)).toEqual([]);

    // what needs space fails with the reason, and leaves no container behind (the removals
    // freed space in the background: fill it again)
    fillDisk();
    await expect(t.rt.containers.run({ image, cmd: ['true'] })).rejects.toMatchObject({
      code: 'UNAVAILABLE',
      message: expect.stringMatching(/^no space left on device for /),
    });
    expect(readdirSync(join(root, 'containers'))).toEqual([]);
    // an agent restart reads back only whole files
    const rt = await t.reopen();
    expect(await rt.containers.list({ all: true })).toEqual([]);
    expect(readdirSync(join(root, 'containers'))).toEqual([]);
    expect(readdirSync(join(root, 'networks'), { recursive: true }).filter((f) => String(f).endsWith('.tmp'))).toEqual([]);
    expect(await runtimeViolations(t, created)).toEqual([]);
  }, 60_000);
});
