import { randomBytes } from 'node:crypto';
import {
  chmodSync,
  chownSync,
  existsSync,
  lstatSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  readlinkSync,
  rmSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import tar from 'tar-stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildSwapTool } from './swap-tool.js';
import { type TestRuntime, useTestRuntime, waitFor } from './helpers.js';

// Volume archives for backups (volume-archive.ts): a volume's content is the container's to
// shape, so a backup must never follow a symlink out of it (not even one swapped in while
// the walk runs), and a restore of a hostile archive must never write, delete or create a
// device outside the volume.

const env = useTestRuntime();
let t: TestRuntime;
let image: string;
let hostDir: string;
let binDir: string;
let secret: string;

beforeAll(() => {
  ({ t, image } = env);
  hostDir = mkdtempSync(join(tmpdir(), 'skiff-vol-attack-'));
  binDir = mkdtempSync(join(tmpdir(), 'skiff-vol-swap-'));
  buildSwapTool(binDir);
  secret = randomBytes(24).toString('hex');
  writeFileSync(join(hostDir, 'secret'), secret);
  chmodSync(join(hostDir, 'secret'), 0o600);
});
afterAll(() => {
  rmSync(hostDir, { recursive: true, force: true });
  rmSync(binDir, { recursive: true, force: true });
});

const sh = (s: string) => ['sh', '-c', s];

type Entry = { name: string; type?: tar.Header['type']; body?: string; linkname?: string; size?: number; mode?: number };

function tarOf(entries: Entry[], opts: { truncateLast?: boolean } = {}): Readable {
  const pack = tar.pack();
  const chunks: Buffer[] = [];
  pack.on('data', (c) => chunks.push(c as Buffer));
  const done = new Promise<Buffer>((r) => pack.on('end', () => r(Buffer.concat(chunks))));
  for (const e of entries) {
    const type = e.type ?? 'file';
    if (type === 'file' && e.size !== undefined) {
      // a header that claims more than the archive holds: the body is cut short
      const s = pack.entry({ name: e.name, type, size: e.size, mode: e.mode ?? 0o644 });
      s.write(Buffer.alloc(1024, 1));
      continue;
    }
    const header = { name: e.name, type, linkname: e.linkname, mode: e.mode ?? 0o644, devmajor: 1, devminor: 3 };
    if (type === 'file') pack.entry(header, e.body ?? '');
    else pack.entry(header);
  }
  if (!opts.truncateLast) pack.finalize();
  return Readable.from(
    (async function* () {
      if (opts.truncateLast) {
        await new Promise((r) => setTimeout(r, 50));
        yield Buffer.concat(chunks);
        return;
      }
      yield await done;
    })(),
  );
}

async function readTar(stream: NodeJS.ReadableStream): Promise<{ name: string; type: string; linkname?: string; body: Buffer; mode: number; uid: number }[]> {
  const out: { name: string; type: string; linkname?: string; body: Buffer; mode: number; uid: number }[] = [];
  const extract = tar.extract();
  const done = new Promise<void>((resolve, reject) => {
    extract.on('entry', (h, s, next) => {
      const chunks: Buffer[] = [];
      s.on('data', (d) => chunks.push(d as Buffer));
      s.on('end', () => {
        out.push({ name: h.name, type: h.type ?? 'file', linkname: h.linkname ?? undefined, body: Buffer.concat(chunks), mode: h.mode ?? 0, uid: h.uid ?? 0 });
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

async function newVolume(): Promise<{ name: string; dir: string }> {
  const v = await t.rt.volumes.create(`bk${randomBytes(4).toString('hex')}`);
  return { name: v.name, dir: v.mountpoint };
}

/** a container with the volume at /v running `script` until it has made /ready */
async function runOn(volume: string, script: string): Promise<string> {
  const { id } = await t.rt.containers.run({
    image,
    cmd: sh(`${script}`),
    mounts: [
      { type: 'volume', source: volume, target: '/v' },
      { type: 'bind', source: binDir, target: '/swapbin', readOnly: true },
    ],
  });
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

describe('volume archive round trip', () => {
  it('keeps content, owners, modes, symlinks as symlinks, and the volume root itself', async () => {
    const src = await newVolume();
    mkdirSync(join(src.dir, 'd/e'), { recursive: true });
    writeFileSync(join(src.dir, 'd/e/f.bin'), randomBytes(300_000));
    writeFileSync(join(src.dir, 'owned'), 'mine');
    chownSync(join(src.dir, 'owned'), 1000, 1000);
    chmodSync(join(src.dir, 'owned'), 0o4750); // after the chown, which clears set-id bits
    symlinkSync('/etc/passwd', join(src.dir, 'abs-link'));
    symlinkSync('../..', join(src.dir, 'd/up'));
    chmodSync(src.dir, 0o700);
    chownSync(src.dir, 999, 998);
    const dst = await newVolume();
    writeFileSync(join(dst.dir, 'stale'), 'replaced away');
    await t.rt.volumes.restore(dst.name, await t.rt.volumes.archive(src.name), { replace: true });
    expect(readdirSync(dst.dir).sort()).toEqual(['abs-link', 'd', 'owned']);
    expect(readFileSync(join(dst.dir, 'd/e/f.bin')).equals(readFileSync(join(src.dir, 'd/e/f.bin')))).toBe(true);
    const owned = lstatSync(join(dst.dir, 'owned'));
    expect([owned.uid, owned.gid, owned.mode & 0o7777]).toEqual([1000, 1000, 0o4750]);
    expect(lstatSync(join(dst.dir, 'abs-link')).isSymbolicLink()).toBe(true);
    expect(readlinkSync(join(dst.dir, 'abs-link'))).toBe('/etc/passwd');
    expect(readlinkSync(join(dst.dir, 'd/up'))).toBe('../..');
    const root = lstatSync(dst.dir);
    expect([root.uid, root.gid, root.mode & 0o7777]).toEqual([999, 998, 0o700]);
  });
});

describe('backup of a volume a container attacks', () => {
  it('a directory swapped for a symlink to the host while the volume is read: the host file is never archived', async () => {
    const v = await newVolume();
    // /v/dir holds a decoy the size of the secret; /v/dir.sym points at the host directory
    const id = await runOn(
      v.name,
      `mkdir -p /v/dir && printf %048d 0 > /v/dir/secret && ln -s ${hostDir} /v/dir.sym && touch /ready && exec /swapbin/swap /v/dir /v/dir.sym`,
    );
    try {
      let leaked = 0;
      let decoys = 0;
      // the fd walk opens each entry with O_NOFOLLOW from its parent: a swapped-in symlink is archived as one
      for (let i = 0; i < 300; i++) {
        const entries = await readTar(await t.rt.volumes.archive(v.name)).catch(() => []);
        if (entries.some((e) => e.body.toString().includes(secret))) leaked++;
        if (entries.some((e) => e.name.endsWith('dir/secret') || e.name.endsWith('dir.sym/secret'))) decoys++;
        for (const e of entries.filter((x) => x.name.endsWith('dir.sym') || x.name.endsWith('/dir'))) expect(['symlink', 'directory']).toContain(e.type);
      }
      expect(leaked).toBe(0);
      expect(decoys).toBeGreaterThan(0); // the race ran: the directory was seen as one
    } finally {
      await t.rt.containers.remove(id, { force: true });
    }
  }, 120_000);
});

describe('restore of a hostile archive', () => {
  const outside = () => readdirSync(hostDir).sort();

  it('../ names, absolute names, a symlink then a file through it, hard links out: all land inside the volume or nowhere', async () => {
    const v = await newVolume();
    const attacks: Entry[][] = [
      [{ name: `../../../../../../../..${hostDir}/dotdot`, body: 'x' }],
      [{ name: `${hostDir}/absolute`, body: 'x' }],
      [
        { name: 'evil', type: 'symlink', linkname: hostDir },
        { name: 'evil/through-symlink', body: 'x' },
      ],
      [
        { name: 'rel', type: 'symlink', linkname: `../../../../../../../..${hostDir}` },
        { name: 'rel/through-relative', body: 'x' },
      ],
      [{ name: 'hard', type: 'link', linkname: `${hostDir}/secret` }],
      [{ name: 'hard2', type: 'link', linkname: `../../../../../../..${hostDir}/secret` }],
      [
        { name: 'over', type: 'symlink', linkname: `${hostDir}/secret` },
        { name: 'over', body: 'overwritten' },
      ],
    ];
    const refused: string[] = [];
    for (const a of attacks) await t.rt.volumes.restore(v.name, tarOf(a)).catch(() => refused.push(a[0]!.name));
    expect(outside()).toEqual(['secret']);
    expect(readFileSync(join(hostDir, 'secret'), 'utf8')).toBe(secret);
    // `..` is refused, and hard links to what the volume does not hold; the rest land below the volume, where symlinks resolve in it
    expect(refused).toEqual([`../../../../../../../..${hostDir}/dotdot`, 'hard', 'hard2']);
    expect(existsSync(join(v.dir, hostDir.slice(1), 'absolute'))).toBe(true);
    expect(existsSync(join(v.dir, hostDir.slice(1), 'through-symlink'))).toBe(true);
    expect(existsSync(join(v.dir, hostDir.slice(1), 'through-relative'))).toBe(true);
    expect(readFileSync(join(v.dir, 'over'), 'utf8')).toBe('overwritten');
  });

  it('devices, fifos and a header claiming a huge size create nothing and write nothing outside', async () => {
    const v = await newVolume();
    const archive = tarOf(
      [
        { name: 'null', type: 'character-device' },
        { name: 'disk', type: 'block-device' },
        { name: 'fifo', type: 'fifo' },
        { name: 'big', size: 8 * 1024 ** 4 },
      ],
      { truncateLast: true },
    );
    await expect(t.rt.volumes.restore(v.name, archive)).rejects.toThrow();
    const names = readdirSync(v.dir);
    expect(names.filter((n) => n !== 'big')).toEqual([]);
    if (names.includes('big')) expect(lstatSync(join(v.dir, 'big')).size).toBeLessThanOrEqual(1024);
    expect(outside()).toEqual(['secret']);
  });

  it('a restore (replace) into a volume whose container swaps a directory for a symlink to the host: nothing outside is written or deleted', async () => {
    const v = await newVolume();
    // the pair: /v/dir, a directory full of files, and /v/dir.sym, a symlink to the host directory
    const pair = `rm -rf /v/dir.sym; mkdir -p /v/dir; for i in $(seq 40); do touch /v/dir/f$i; done; ln -sfn ${hostDir} /v/dir.sym`;
    const id = await runOn(v.name, `${pair} && touch /ready && exec /swapbin/swap /v/dir /v/dir.sym`);
    try {
      // a path-based emptying (rm -r) can list the swapped-in symlink's target and delete the
      // host's files through it (a narrow window: not reproduced here in 200 rounds with
      // Node's rm); the fd-based one unlinks the symlink itself. Kept as a guard.
      for (let i = 0; i < 200; i++) {
        const archive = tarOf([
          { name: 'dir', type: 'directory', mode: 0o755 },
          { name: `dir/pwned-${i}`, body: 'x' },
          { name: `dir.sym/pwned-sym-${i}`, body: 'x' },
        ]);
        await t.rt.volumes.restore(v.name, archive, { replace: true }).catch(() => undefined);
        await t.rt.containers.exec(id, { cmd: sh(pair) }).then((s) => new Promise((r) => s.on('exit', r)));
      }
      expect(outside()).toEqual(['secret']);
      expect(readFileSync(join(hostDir, 'secret'), 'utf8')).toBe(secret);
    } finally {
      await t.rt.containers.remove(id, { force: true });
    }
  }, 180_000);
});
