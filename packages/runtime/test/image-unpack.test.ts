import { execSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, lstatSync, mkdirSync, readdirSync, readFileSync, readlinkSync, statSync, writeFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { afterAll, describe, expect, it } from 'vitest';
import { InvalidArgument } from '../src/errors.js';
import { zstdDecompress } from '../src/image/decompress.js';
import { unpackLayer } from '../src/image/layer-unpack.js';
import { lgetxattr, llistxattr, lsetxattr } from '../src/native/addon.js';
import { buildLayer, type Entry } from '@skiff/test-fixtures';

const roots: string[] = [];
afterAll(async () => {
  for (const r of roots) await rm(r, { recursive: true, force: true });
});

async function scratch(): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'skiff-unpack-'));
  roots.push(dir);
  return dir;
}

async function unpack(entries: Entry[], compression: 'gzip' | 'zstd' | 'none' = 'gzip'): Promise<{ dest: string; diffID: string }> {
  const dest = join(await scratch(), 'fs');
  mkdirSync(dest);
  const layer = await buildLayer(entries, compression);
  const { diffID } = await unpackLayer(Readable.from([layer.blob]), dest);
  expect(diffID).toBe(layer.diffID);
  return { dest, diffID };
}

async function rejects(entries: Entry[], message: RegExp): Promise<void> {
  const err = await unpack(entries).then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(InvalidArgument);
  expect((err as Error).message).toMatch(message);
}

describe('layer unpack', () => {
  it('unpacks big files across batches between thousands of small ones, byte for byte', async () => {
    // more file data and more entries than one native batch holds (4 MiB, 4096 ops), with
    // files whose data spans batches: their open, writes and close must stay in order
    const big = (seed: number) => Buffer.from(Array.from({ length: 9 << 20 }, (_, i) => (i * 31 + seed * 7 + (i >> 12)) & 0xff));
    const entries: Entry[] = [{ name: 'd', type: 'directory' }];
    for (let i = 0; i < 6000; i++) {
      if (i % 2000 === 0) entries.push({ name: `d/big${i}`, content: big(i), mode: 0o640 });
      entries.push({ name: `d/s${i % 50}`, type: 'directory' }, { name: `d/s${i % 50}/f${i}`, content: `file ${i}\n`, mode: 0o600, uid: i % 3, gid: i % 5 });
    }
    const { dest } = await unpack(entries);
    for (const i of [0, 2000, 4000]) expect(readFileSync(join(dest, `d/big${i}`)).equals(big(i))).toBe(true);
    for (const i of [0, 1, 1999, 2001, 4095, 4097, 5999]) {
      const p = join(dest, `d/s${i % 50}/f${i}`);
      expect(readFileSync(p, 'utf8')).toBe(`file ${i}\n`);
      const st = statSync(p);
      expect([st.mode & 0o777, st.uid, st.gid]).toEqual([0o600, i % 3, i % 5]);
    }
  }, 60_000);

  it('gives the same tree and diffID for gzip, zstd and plain tar', async () => {
    const entries: Entry[] = [
      { name: 'a', type: 'directory' },
      { name: 'a/b', content: 'hello\n', mode: 0o600 },
    ];
    const results = [await unpack(entries, 'gzip'), await unpack(entries, 'zstd'), await unpack(entries, 'none')];
    expect(new Set(results.map((r) => r.diffID)).size).toBe(1);
    for (const { dest } of results) {
      expect(readFileSync(join(dest, 'a/b'), 'utf8')).toBe('hello\n');
      expect(statSync(join(dest, 'a/b')).mode & 0o777).toBe(0o600);
    }
  });

  it('normalises absolute entry names into the layer and keeps absolute symlink targets verbatim', async () => {
    const { dest } = await unpack([
      { name: '/etc/abs', content: 'x' },
      { name: './etc/./rel', content: 'y' },
      { name: 'bin/sh', type: 'symlink', linkname: '/bin/busybox' },
    ]);
    expect(readFileSync(join(dest, 'etc/abs'), 'utf8')).toBe('x');
    expect(readFileSync(join(dest, 'etc/rel'), 'utf8')).toBe('y');
    expect(readlinkSync(join(dest, 'bin/sh'))).toBe('/bin/busybox');
  });

  it('keeps setuid bits, ownership, mtimes and xattrs but drops overlay xattrs', async () => {
    const { dest } = await unpack([
      { name: 'su', content: 'x', mode: 0o4755, uid: 1000, gid: 50 },
      {
        name: 'x',
        content: 'x',
        pax: { 'SCHILY.xattr.user.skiff': '1', 'SCHILY.xattr.trusted.overlay.redirect': '/etc', 'SCHILY.xattr.trusted.overlay.opaque': 'y' },
      },
    ]);
    const su = statSync(join(dest, 'su'));
    expect([su.mode & 0o7777, su.uid, su.gid]).toEqual([0o4755, 1000, 50]);
    expect(su.mtime.toISOString()).toBe('2024-01-01T00:00:00.000Z');
    expect(lgetxattr(join(dest, 'x'), 'user.skiff')?.toString()).toBe('1');
    expect(llistxattr(join(dest, 'x')).filter((n) => n.includes('overlay'))).toEqual([]);
  });

  it('keeps binary xattr values byte for byte (file capabilities)', async () => {
    const src = await scratch();
    writeFileSync(join(src, 'newuidmap'), 'x');
    // VFS_CAP_REVISION_2, permitted+effective cap_setuid (bit 7: the byte 0x80)
    const cap = Buffer.from([0x01, 0x00, 0x00, 0x02, 0x80, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0]);
    lsetxattr(join(src, 'newuidmap'), 'security.capability', cap);
    lsetxattr(join(src, 'newuidmap'), 'user.bin', Buffer.from([0xff, 0xfe, 0x00, 0xc3]));
    // GNU tar writes the values as raw bytes in SCHILY.xattr records
    const raw = execSync(`tar --xattrs --xattrs-include='*' -C ${src} -cf - newuidmap`);
    const dest = await scratch();
    await unpackLayer(Readable.from([raw]), dest);
    expect(lgetxattr(join(dest, 'newuidmap'), 'security.capability')).toEqual(cap);
    expect([...lgetxattr(join(dest, 'newuidmap'), 'user.bin')!]).toEqual([0xff, 0xfe, 0x00, 0xc3]);
  });

  it('turns whiteouts into 0:0 devices and opaque markers into the overlay xattr', async () => {
    const { dest } = await unpack([{ name: 'd/.wh.gone' }, { name: 'o/.wh..wh..opq' }, { name: 'o/kept', content: 'k' }]);
    const wh = lstatSync(join(dest, 'd/gone'));
    expect(wh.isCharacterDevice() && wh.rdev === 0).toBe(true);
    expect(lgetxattr(join(dest, 'o'), 'trusted.overlay.opaque')?.toString()).toBe('y');
    expect(readdirSync(join(dest, 'o'))).toEqual(['kept']);
  });
});

describe('decompression', () => {
  it('decodes a zstd stream that expands 256 MiB without holding it in memory', async () => {
    const size = 256 * 1024 * 1024;
    const compressed = execSync(`head -c ${size} /dev/zero | zstd -q -c`, { maxBuffer: 1 << 26 });
    expect(compressed.length).toBeLessThan(1 << 20);
    // delivered as a file read stream would: 64 KiB chunks
    const chunks = Array.from({ length: Math.ceil(compressed.length / 65536) }, (_, i) => compressed.subarray(i * 65536, (i + 1) * 65536));
    // measure what is alive, not garbage waiting for collection
    setFlagsFromString('--expose-gc');
    const gc = runInNewContext('gc') as () => void;
    gc();
    const base = process.memoryUsage().arrayBuffers;
    let peak = 0;
    let total = 0;
    let n = 0;
    for await (const out of zstdDecompress(Readable.from(chunks))) {
      total += out.length;
      if (++n % 256 === 0) {
        gc();
        peak = Math.max(peak, process.memoryUsage().arrayBuffers - base);
      }
    }
    expect(total).toBe(size);
    expect(peak).toBeLessThan(64 * 1024 * 1024); // fully buffered it would be 256 MiB
  }, 30_000);

  it('fails clearly on a truncated zstd or gzip layer', async () => {
    for (const compression of ['zstd', 'gzip'] as const) {
      const layer = await buildLayer([{ name: 'f', content: randomBytes(200_000) }], compression);
      const dest = await scratch();
      const cut = layer.blob.subarray(0, layer.blob.length - 100);
      await expect(unpackLayer(Readable.from([cut]), dest), compression).rejects.toThrow(/zstd|unexpected end|end of file/i);
    }
  });
});

describe('hostile layers', () => {
  const marker = () => `skiff-escape-${randomBytes(4).toString('hex')}`;

  it('rejects tar-slip names, naming the entry', async () => {
    await rejects([{ name: '../../../../tmp/x', content: 'p' }], /"\.\.\/\.\.\/\.\.\/\.\.\/tmp\/x" points outside the layer \(tar-slip\)/);
    await rejects([{ name: 'a/../../b', content: 'p' }], /points outside the layer/);
  });

  it('rejects writing through a symlink to / (evil -> /, then evil/etc/x)', async () => {
    const m = marker();
    await rejects(
      [
        { name: 'evil', type: 'symlink', linkname: '/' },
        { name: `evil/tmp/${m}`, content: 'pwned' },
      ],
      /"evil\/tmp\/skiff-escape-[0-9a-f]+" would be written through the symlink "\/evil" \(symlink escape\)/,
    );
    expect(existsSync(`/tmp/${m}`)).toBe(false);
  });

  it('rejects relative symlink escapes and hard links through or out of the layer', async () => {
    await rejects(
      [
        { name: 'up', type: 'symlink', linkname: '../../../..' },
        { name: 'up/x', content: 'p' },
      ],
      /symlink escape/,
    );
    await rejects(
      [
        { name: 'up', type: 'symlink', linkname: '/etc' },
        { name: 'h', type: 'link', linkname: 'up/passwd' },
      ],
      /symlink escape/,
    );
    await rejects([{ name: 'h', type: 'link', linkname: '../../../../etc/passwd' }], /tar-slip/);
    await rejects([{ name: 'h', type: 'link', linkname: '/etc/passwd' }], /not in the layer/);
    await rejects(
      [
        { name: 'd', type: 'directory' },
        { name: 'h', type: 'link', linkname: 'd' },
      ],
      /hard link to the directory/,
    );
  });

  it('never writes a file through a symlink planted at its own name', async () => {
    const outside = await scratch();
    const { dest } = await unpack([
      { name: 'f', type: 'symlink', linkname: join(outside, 'victim') },
      { name: 'f', content: 'replaced in the layer' },
    ]);
    expect(lstatSync(join(dest, 'f')).isFile()).toBe(true);
    expect(existsSync(join(outside, 'victim'))).toBe(false);
  });

  it('does not apply a directory mode through a symlink that replaced the directory', async () => {
    const outside = await scratch();
    mkdirSync(join(outside, 'victim', 'sub'), { recursive: true, mode: 0o700 });
    const { dest } = await unpack([
      { name: 'd', type: 'directory', mode: 0o777 },
      { name: 'd/sub', type: 'directory', mode: 0o777 },
      { name: 'd', type: 'symlink', linkname: join(outside, 'victim') },
    ]);
    expect(lstatSync(join(dest, 'd')).isSymbolicLink()).toBe(true);
    expect(statSync(join(outside, 'victim')).mode & 0o777).toBe(0o700);
    expect(statSync(join(outside, 'victim', 'sub')).mode & 0o777).toBe(0o700);
  });

  it('rejects whiteouts of "." and ".." instead of deleting the layer', async () => {
    await rejects([{ name: 'a/b', content: 'x' }, { name: 'a/.wh...' }], /not a valid whiteout/);
    await rejects([{ name: '.wh..' }], /not a valid whiteout/);
  });
});
