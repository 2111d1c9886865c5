import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { chmodSync, lstatSync, mkdtempSync, readdirSync, readFileSync, rmSync, truncateSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Readable } from 'node:stream';
import tar from 'tar-stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ContainerCreateSpec } from '../src/types.js';
import { runCollect, type TestRuntime, useTestRuntime, waitFor } from './helpers.js';

// Attacks on the agent's file operations on container filesystems (cp in/out, export,
// volume seeding): a container swaps directories for symlinks to host paths while the
// agent works, or an image carries such symlinks. Nothing may reach the host.

const env = useTestRuntime();
let t: TestRuntime;
let image: string;
let hostDir: string;
let secret: string;
let binDir: string;
beforeAll(() => {
  ({ t, image } = env);
  hostDir = mkdtempSync(join(tmpdir(), 'skiff-fs-attack-'));
  // the attacker's tool: exchanges two names with renameat2(RENAME_EXCHANGE) as fast as it can
  binDir = mkdtempSync(join(tmpdir(), 'skiff-fs-swap-'));
  writeFileSync(join(binDir, 'swap.c'), SWAP_C);
  execFileSync('gcc', ['-static', '-O2', '-o', join(binDir, 'swap'), join(binDir, 'swap.c')]);
  secret = randomBytes(24).toString('hex');
  writeFileSync(join(hostDir, 'secret'), secret);
  chmodSync(join(hostDir, 'secret'), 0o600);
});
afterAll(() => {
  rmSync(hostDir, { recursive: true, force: true });
  rmSync(binDir, { recursive: true, force: true });
});

const SWAP_C = `#define _GNU_SOURCE
#include <fcntl.h>
#include <stdio.h>
int main(int argc, char **argv) {
  if (argc < 3 || argc % 2 == 0) return 2;
  for (;;)
    for (int i = 1; i + 1 < argc; i += 2) renameat2(AT_FDCWD, argv[i], AT_FDCWD, argv[i + 1], RENAME_EXCHANGE);
}
`;

const sh = (script: string) => ['sh', '-c', script];
/** a decoy "secret" in the container, as long as the host's (48 characters) */
const DECOY = 'printf %048d 0 > secret';

/**
 * A container that keeps exchanging each directory in `dirs` with a symlink to the host path
 * `to` (`fill` runs in each directory first).
 */
async function swapper(dirs: string[], to: string, fill = ''): Promise<string> {
  const setup = dirs.map((d) => `mkdir -p ${d} && (cd ${d} && ${fill || 'true'}) && ln -s ${to} ${d}.sym`).join(' && ');
  const pairs = dirs.map((d) => `${d} ${d}.sym`).join(' ');
  const script = `${setup} && touch /ready && exec /swapbin/swap ${pairs}`;
  return runReady(script, [{ type: 'bind', source: binDir, target: '/swapbin', readOnly: true }]);
}

/** a detached container running `script`, once the script has created /ready */
async function runReady(script: string, mounts: ContainerCreateSpec['mounts'] = []): Promise<string> {
  const { id } = await t.rt.containers.run({ image, cmd: sh(script), mounts });
  await waitFor(
    () =>
      t.rt.containers
        .copyFrom(id, '/ready')
        .then(readTar)
        .then(
          () => true,
          () => false,
        ),
    10_000,
    'the container to be ready',
  );
  return id;
}

async function readTar(stream: NodeJS.ReadableStream): Promise<{ name: string; size: number; body: Buffer }[]> {
  const out: { name: string; size: number; body: Buffer }[] = [];
  const extract = tar.extract();
  const done = new Promise<void>((resolve, reject) => {
    extract.on('entry', (h, s, next) => {
      const chunks: Buffer[] = [];
      s.on('data', (d: unknown) => chunks.push(d as Buffer));
      s.on('end', () => {
        out.push({ name: h.name, size: h.size, body: Buffer.concat(chunks) });
        next();
      });
    });
    extract.on('finish', resolve);
    extract.on('error', reject);
    (stream as Readable).on('error', reject);
  });
  (stream as Readable).pipe(extract);
  await done;
  return out;
}

async function readTarHeaders(stream: NodeJS.ReadableStream): Promise<Map<string, tar.Header>> {
  const out = new Map<string, tar.Header>();
  const extract = tar.extract();
  const done = new Promise<void>((resolve, reject) => {
    extract.on('entry', (h, s, next) => {
      out.set(h.name.replace(/\/$/, ''), h);
      s.on('end', () => next());
      s.resume();
    });
    extract.on('finish', resolve);
    extract.on('error', reject);
  });
  (stream as Readable).pipe(extract);
  await done;
  return out;
}

const oneFileTar = (name: string, body: string) => {
  const pack = tar.pack();
  pack.entry({ name, mode: 0o644 }, body);
  pack.finalize();
  return pack as unknown as NodeJS.ReadableStream;
};

describe('cp and export against a container that swaps symlinks in', () => {
  it('cp into a running container never writes to the host (CVE-2018-15664)', async () => {
    const id = await swapper(['/w/dir'], hostDir);
    try {
      // before the fix about 1 copy in 100 landed on the host
      for (let i = 0; i < 500; i++) {
        await t.rt.containers.copyTo(id, '/w/dir', oneFileTar(`pwned-${i}`, 'x')).catch(() => undefined);
        // a file name whose parent is the swapped directory, extracted at the root
        await t.rt.containers.copyTo(id, '/', oneFileTar(`w/dir/pwned-root-${i}`, 'x')).catch(() => undefined);
      }
      expect(readdirSync(hostDir).sort()).toEqual(['secret']);
    } finally {
      await t.rt.containers.remove(id, { force: true });
    }
  }, 60_000);

  it('cp out of a running container never reads a host file', async () => {
    const id = await swapper(['/r/dir'], hostDir, DECOY);
    try {
      let leaked = 0;
      let read = 0;
      // before the fix 1 to 10 reads in 300 returned the host file
      for (let i = 0; i < 1000; i++) {
        const entries = await t.rt.containers
          .copyFrom(id, i % 2 ? '/r/dir/secret' : '/r/dir/.')
          .then(readTar)
          .catch(() => []);
        read += entries.length;
        if (entries.some((e) => e.body.toString().includes(secret))) leaked++;
      }
      expect(leaked).toBe(0);
      expect(read).toBeGreaterThan(0); // the decoy was read sometimes: the race ran
    } finally {
      await t.rt.containers.remove(id, { force: true });
    }
  }, 60_000);

  // export reads its own read-only overlay, whose dentries pin the directories it walks: this
  // race did not reproduce before the fd rewrite either; kept as a guard for the fd walk
  it('export never reads a host file', async () => {
    const id = await swapper(['/r/dir'], hostDir, DECOY);
    try {
      let leaked = 0;
      for (let i = 0; i < 10; i++) {
        const entries = await t.rt.containers
          .export(id)
          .then(readTar)
          .catch(() => []);
        if (entries.some((e) => e.name.startsWith('r/') && e.body.toString().includes(secret))) leaked++;
      }
      expect(leaked).toBe(0);
    } finally {
      await t.rt.containers.remove(id, { force: true });
    }
  }, 90_000);

  it('copyFrom of a file that grows or shrinks while read: a well-formed tar or an error, never a crash', async () => {
    // dd truncates the file, then grows it to 8 MiB, over and over
    const id = await runReady('touch /g /ready; while :; do dd if=/dev/zero of=/g bs=64k count=128 2>/dev/null; done');
    // in the agent an uncaught error ends the process; here it is counted
    const uncaught: Error[] = [];
    const onUncaught = (e: Error) => uncaught.push(e);
    process.on('uncaughtException', onUncaught);
    try {
      let ok = 0;
      for (let i = 0; i < 30; i++) {
        const entries = await t.rt.containers
          .copyFrom(id, '/g')
          .then(readTar)
          .catch(() => undefined);
        if (!entries) continue;
        ok++;
        expect(entries).toHaveLength(1);
        expect(entries[0]!.body.length).toBe(entries[0]!.size);
      }
      expect(ok).toBeGreaterThan(0);
      expect(uncaught.map((e) => e.message)).toEqual([]);
    } finally {
      process.off('uncaughtException', onUncaught);
      await t.rt.containers.remove(id, { force: true });
    }
  }, 60_000);
});

describe('cp semantics over fds', () => {
  it('a reader that goes away mid-file leaves no fd open and no error uncaught', async () => {
    const id = await runReady('dd if=/dev/zero of=/big bs=1M count=16 2>/dev/null; touch /ready; sleep 60');
    const uncaught: Error[] = [];
    const onUncaught = (e: Error) => uncaught.push(e);
    process.on('uncaughtException', onUncaught);
    try {
      const fds = () => readdirSync('/proc/self/fd').length;
      const before = fds();
      for (let i = 0; i < 20; i++) {
        const s = (await t.rt.containers.copyFrom(id, '/big')) as Readable;
        await new Promise<void>((resolve) => s.once('data', () => resolve()));
        s.destroy();
      }
      await waitFor(async () => fds() <= before + 2, 5000, 'the fds to be closed');
      expect(uncaught).toEqual([]);
    } finally {
      process.off('uncaughtException', onUncaught);
      await t.rt.containers.remove(id, { force: true });
    }
  });

  it('round-trips modes, owners, times, symlinks and hard links, and replaces what is in the way', async () => {
    const id = await runReady('mkdir -p /dst/f && touch /ready && sleep 60');
    try {
      const mtime = new Date('2020-01-02T03:04:05Z');
      const pack = tar.pack();
      pack.entry({ name: 'tree', type: 'directory', mode: 0o750, uid: 1000, gid: 1001, mtime });
      pack.entry({ name: 'tree/run.sh', mode: 0o4755, uid: 1000, gid: 1001, mtime }, '#!/bin/sh\n');
      pack.entry({ name: 'tree/same', type: 'link', linkname: 'tree/run.sh' });
      pack.entry({ name: 'tree/abs', type: 'symlink', linkname: '/etc/hostname', mtime });
      pack.entry({ name: 'f', mode: 0o600 }, 'a file where a directory was');
      pack.finalize();
      // "f" is an empty directory in the container: a file entry replaces it
      await t.rt.containers.copyTo(id, '/dst', pack as unknown as NodeJS.ReadableStream);
      const entries = await readTarHeaders(await t.rt.containers.copyFrom(id, '/dst/tree'));
      expect(entries.get('tree')).toMatchObject({ type: 'directory', mode: 0o750, uid: 1000, gid: 1001 });
      expect(entries.get('tree/run.sh')).toMatchObject({ type: 'file', mode: 0o4755, uid: 1000, gid: 1001, mtime });
      expect(entries.get('tree/abs')).toMatchObject({ type: 'symlink', linkname: '/etc/hostname' });
      const r = await t.rt.containers.exec(id, { cmd: sh('stat -c %i /dst/tree/run.sh /dst/tree/same | uniq | wc -l; cat /dst/f') });
      let out = '';
      r.on('stdout', (d: Buffer) => (out += d.toString()));
      await new Promise((res) => r.on('exit', res));
      expect(out).toBe('1\na file where a directory was');
      // a final symlink is copied as itself; with "/." the directory's content comes without the directory
      expect([...(await readTarHeaders(await t.rt.containers.copyFrom(id, '/dst/tree/abs'))).keys()]).toEqual(['abs']);
      expect([...(await readTarHeaders(await t.rt.containers.copyFrom(id, '/dst/tree/.'))).keys()].sort()).toEqual(['abs', 'run.sh', 'same']);
      await expect(t.rt.containers.copyFrom(id, '/dst/missing')).rejects.toThrow(/could not find/);
      // the CLI copies to a new name when the destination is missing and tells that by the message
      await expect(t.rt.containers.copyTo(id, '/dst/new-name', oneFileTar('x', 'x'))).rejects.toThrow(/no such file/);
      await expect(t.rt.containers.copyTo(id, '/dst/f', oneFileTar('x', 'x'))).rejects.toThrow(/not a directory/);
    } finally {
      await t.rt.containers.remove(id, { force: true });
    }
  });
});

describe('commit of a container that swaps symlinks in', () => {
  it('never puts a host file into the layer', async () => {
    // eight swapped directories: eight chances per commit (before the fix about 1 commit in 10 leaked)
    const dirs = Array.from({ length: 8 }, (_, i) => `/r/d${i}`);
    const id = await swapper(dirs, hostDir, DECOY);
    try {
      let leaked = 0;
      let made = 0;
      for (let i = 0; i < 30; i++) {
        // a directory swapped mid-walk may fail the commit with a clear error; that is fine
        const image = await t.rt.containers.commit(id, { pause: false }).catch(() => undefined);
        if (!image) continue;
        made++;
        const [top] = await t.imageStore.layerDirs(image.id);
        for (const d of dirs.flatMap((d) => [d, `${d}.sym`])) {
          // only a real directory in the layer is read: a symlink there would lead this test to the host
          if (!lstatSync(join(top!, d), { throwIfNoEntry: false })?.isDirectory()) continue;
          const f = join(top!, d, 'secret');
          if (lstatSync(f, { throwIfNoEntry: false })?.isFile() && readFileSync(f, 'utf8').includes(secret)) leaked++;
        }
        await t.rt.images.remove(image.id).catch(() => undefined);
      }
      expect(leaked).toBe(0);
      // entries that change kind mid-walk are left out, not fatal: most commits go through
      expect(made).toBeGreaterThan(20);
    } finally {
      await t.rt.containers.remove(id, { force: true });
    }
  }, 60_000);
});

describe('system df of a container that swaps symlinks in', () => {
  it('never walks a host directory', async () => {
    // a sparse 1 TiB file on the host: counted once, it shows
    const bigDir = mkdtempSync(join(tmpdir(), 'skiff-fs-big-'));
    writeFileSync(join(bigDir, 'big'), '');
    truncateSync(join(bigDir, 'big'), 2 ** 40);
    const id = await swapper(['/r/d0', '/r/d1', '/r/d2', '/r/d3'], bigDir);
    try {
      let over = 0;
      // before the fix 40 to 65 calls in 100 walked into the host directory
      for (let i = 0; i < 200; i++) {
        const usage = await t.rt.containers.diskUsage();
        if ((usage.find((u) => u.id === id)?.size ?? 0) > 2 ** 30) over++;
      }
      expect(over).toBe(0);
    } finally {
      await t.rt.containers.remove(id, { force: true });
      rmSync(bigDir, { recursive: true, force: true });
    }
  }, 60_000);
});

describe('diff against hostile layers and a swapping container', () => {
  it('never lists a host directory or probes host paths through an image symlink', async () => {
    const id = await swapper(['/r/dir'], hostDir, 'echo decoy > decoy');
    try {
      let leaked = 0;
      for (let i = 0; i < 100; i++) {
        const changes = await t.rt.containers.diff(id);
        if (changes.some((c) => c.path.endsWith('/secret'))) leaked++;
      }
      expect(leaked).toBe(0);
    } finally {
      await t.rt.containers.remove(id, { force: true });
    }
    // a lower layer's /lnk -> <hostDir>; the container makes /lnk a directory holding "secret":
    // that is an added file, whatever exists on the host at <hostDir>/secret
    const base = await runCollect(t.rt, { image, cmd: sh(`ln -s ${hostDir} /lnk`) });
    const { id: imageId } = await t.rt.containers.commit(base.id);
    await t.rt.containers.remove(base.id, { force: true });
    const c = await runCollect(t.rt, { image: imageId, cmd: sh('rm /lnk && mkdir /lnk && touch /lnk/secret') });
    try {
      expect(await t.rt.containers.diff(c.id)).toContainEqual({ path: '/lnk/secret', kind: 1 });
    } finally {
      await t.rt.containers.remove(c.id, { force: true });
    }
  }, 60_000);
});

describe('user lookup in a hostile image', () => {
  it('never reads a host file through an image symlink at /etc/passwd', async () => {
    writeFileSync(join(hostDir, 'passwd'), 'hostuser:x:4242:4242::/hosthome:/bin/sh\n', { mode: 0o600 });
    const base = await runCollect(t.rt, { image, cmd: sh(`rm /etc/passwd && ln -s ${hostDir}/passwd /etc/passwd`) });
    const { id: imageId } = await t.rt.containers.commit(base.id);
    await t.rt.containers.remove(base.id, { force: true });
    await expect(runCollect(t.rt, { image: imageId, autoRemove: true, user: 'hostuser', cmd: ['id', '-u'] })).rejects.toThrow(/unable to find user hostuser/);
  }, 30_000);
});

describe('volume seeding from a hostile image', () => {
  it('copies the image content at a symlinked mount point, never the host directory it names', async () => {
    // the image: /hostetc -> <hostDir> (absolute, meaningless inside the image)
    const base = await runCollect(t.rt, { image, cmd: sh(`ln -s ${hostDir} /hostetc && mkdir -p ${hostDir} && echo image-file > ${hostDir}/from-image`) });
    expect(base.code).toBe(0);
    const { id: imageId } = await t.rt.containers.commit(base.id, { ref: 'skiff-test/seed-attack:latest' });
    await t.rt.containers.remove(base.id, { force: true });
    const r = await runCollect(t.rt, {
      image: imageId,
      autoRemove: true,
      mounts: [{ type: 'volume', source: 'seed-attack', target: '/hostetc' }],
      cmd: sh('ls -A /hostetc'),
    });
    const seeded = readdirSync((await t.rt.volumes.inspect('seed-attack')).mountpoint);
    expect(seeded).not.toContain('secret');
    expect(r.stdout).not.toContain('secret');
    // what the image itself has at the link's target is seeded, as Docker does
    expect(seeded).toEqual(['from-image']);
    await t.rt.volumes.remove('seed-attack');
  }, 60_000);

  it('copies owners, modes, times, hard links, symlinks and fifos as they are', async () => {
    const base = await runCollect(t.rt, {
      image,
      cmd: sh(
        'mkdir -p /data/sub && echo hi > /data/f && chown -R 1000:1001 /data/sub && chmod 4755 /data/f && ln /data/f /data/hard && ln -s /etc/passwd /data/abs && mkfifo /data/fifo && touch -t 202001020304.05 /data/f',
      ),
    });
    expect(base.code).toBe(0);
    const { id: imageId } = await t.rt.containers.commit(base.id);
    await t.rt.containers.remove(base.id, { force: true });
    const r = await runCollect(t.rt, {
      image: imageId,
      autoRemove: true,
      mounts: [{ type: 'volume', source: 'seed-fidelity', target: '/data' }],
      cmd: sh('stat -c "%n %u:%g %a %F" /data/f /data/sub /data/fifo; stat -c %Y /data/f; stat -c %i /data/f /data/hard | uniq | wc -l; readlink /data/abs'),
    });
    expect(r.stdout).toBe('/data/f 0:0 4755 regular file\n/data/sub 1000:1001 755 directory\n/data/fifo 0:0 644 fifo\n1577934245\n1\n/etc/passwd\n');
    await t.rt.volumes.remove('seed-fidelity');
  }, 60_000);
});
