/**
 * A deterministic multi-layer image that looks like a real one to an unpacker: tens of
 * thousands of small files (0.5–16 KiB, log-uniform) in nested package-like directories,
 * hard links, symlinks, a few multi-MB files, ownership and modes, and an upper layer that
 * whites out a file and a directory of a lower one and makes a directory opaque. File
 * contents are text-like (words from a small vocabulary) or binary (random bytes) so gzip
 * sees a realistic mix. The same seed gives the same bytes, hence the same digests.
 */
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { gzipSync } from 'node:zlib';
import { tarOf, type Entry, mulberry32 } from '@skiff/test-fixtures';

export interface BenchLayer {
  /** the uncompressed tar */
  tar: Buffer;
  diffID: string;
  files: number;
}

export interface LayeredImageOptions {
  seed: number;
  /** 1 = the full image (~33k files, ~190 MB of tar); smaller while developing */
  scale: number;
}

const sha = (b: Buffer) => `sha256:${createHash('sha256').update(b).digest('hex')}`;

const SYLLABLES = ['ka', 'lo', 'mi', 'tor', 'en', 'st', 'qua', 'ri', 'de', 'fun', 'ction', 'ret', 'urn', 'var', 'co', 'nst', 'im', 'port', 'ex', 'ob'];

interface Pools {
  text: Buffer;
  random: Buffer;
}

function pools(next: () => number): Pools {
  // a vocabulary of 1500 words; text is words, spaces, newlines and indentation
  const words = Array.from({ length: 1500 }, () => {
    let w = '';
    for (let i = 1 + Math.floor(next() * 4); i > 0; i--) w += SYLLABLES[Math.floor(next() * SYLLABLES.length)];
    return w;
  });
  const parts: string[] = [];
  let len = 0;
  while (len < 4 << 20) {
    const line = Array.from({ length: 3 + Math.floor(next() * 10) }, () => words[Math.floor(next() ** 2 * words.length)]).join(' ');
    const s = `${' '.repeat(Math.floor(next() * 4) * 2)}${line}\n`;
    parts.push(s);
    len += s.length;
  }
  const random = Buffer.alloc(4 << 20);
  for (let i = 0; i < random.length; i += 4) random.writeUInt32LE(Math.floor(next() * 4294967296), i);
  return { text: Buffer.from(parts.join('')), random };
}

function content(p: Pools, next: () => number, size: number, binary: boolean): Buffer {
  const pool = binary ? p.random : p.text;
  const off = Math.floor(next() * (pool.length - size));
  return pool.subarray(off, off + size);
}

/** a big file: runs of text, random bytes and zeros */
function bigFile(p: Pools, next: () => number, size: number): Buffer {
  const out = Buffer.alloc(size);
  for (let off = 0; off < size; ) {
    const n = Math.min(size - off, 64 * 1024 + Math.floor(next() * 512 * 1024));
    const kind = next();
    if (kind < 0.5) content(p, next, n, false).copy(out, off);
    else if (kind < 0.8) content(p, next, n, true).copy(out, off);
    off += n; // else zeros
  }
  return out;
}

/** files of one layer in nested dirs: <top>/<pkg>/<sub>/<file> */
function treeEntries(p: Pools, next: () => number, top: string, files: number, opts: { links?: boolean } = {}): Entry[] {
  const entries: Entry[] = [{ name: top, type: 'directory', mode: 0o755 }];
  const dirs: string[] = [];
  let lastFile: string | undefined;
  for (let i = 0; i < files; i++) {
    if (i % 40 === 0) {
      // a new package directory with 1–3 levels
      let d = `${top}/pkg${String(dirs.length).padStart(4, '0')}`;
      entries.push({ name: d, type: 'directory', mode: 0o755 });
      for (let depth = Math.floor(next() * 3); depth > 0; depth--) {
        d += `/${['lib', 'src', 'dist', 'share', 'include'][Math.floor(next() * 5)]}${depth}`;
        entries.push({ name: d, type: 'directory', mode: 0o755 });
      }
      dirs.push(d);
    }
    const dir = dirs[dirs.length - 1]!;
    const name = `${dir}/f${i}.${['js', 'py', 'so', 'txt', 'json', 'h'][i % 6]}`;
    const r = next();
    if (opts.links && r < 0.04 && lastFile) {
      entries.push({ name, type: 'symlink', linkname: `/${lastFile}`, mode: 0o777 });
      continue;
    }
    if (opts.links && r < 0.06 && lastFile) {
      entries.push({ name, type: 'link', linkname: lastFile, mode: 0o644 });
      continue;
    }
    const size = Math.round(512 * 32 ** next()); // 0.5–16 KiB, log-uniform
    const binary = name.endsWith('.so') || next() < 0.1;
    entries.push({
      name,
      type: 'file',
      mode: binary ? 0o755 : 0o644,
      uid: i % 97 === 0 ? 1000 : 0,
      gid: i % 97 === 0 ? 1000 : 0,
      content: content(p, next, size, binary),
    });
    lastFile = name;
  }
  return entries;
}

/** the layers' uncompressed tars, bottom first */
export async function layeredImage(opts: LayeredImageOptions): Promise<BenchLayer[]> {
  const next = mulberry32(opts.seed);
  const p = pools(next);
  const n = (x: number) => Math.max(40, Math.round(x * opts.scale));
  const mb = (x: number) => Math.max(1 << 16, Math.round(x * opts.scale * (1 << 20)));
  const layers: Entry[][] = [
    // a base system
    [
      { name: 'etc', type: 'directory', mode: 0o755 },
      { name: 'etc/passwd', type: 'file', mode: 0o644, content: Buffer.from('root:x:0:0:root:/root:/bin/sh\napp:x:1000:1000::/home/app:/bin/sh\n') },
      { name: 'tmp', type: 'directory', mode: 0o1777 },
      { name: 'usr', type: 'directory', mode: 0o755 },
      ...treeEntries(p, next, 'usr/lib', n(12000), { links: true }),
      { name: 'usr/lib/libbig.so', type: 'file', mode: 0o755, content: bigFile(p, next, mb(24)) },
    ],
    // language runtime
    [
      { name: 'opt', type: 'directory', mode: 0o755 },
      ...treeEntries(p, next, 'opt/runtime', n(9000), { links: true }),
      { name: 'opt/runtime/bin.dat', type: 'file', mode: 0o755, content: bigFile(p, next, mb(12)) },
      { name: 'opt/runtime/cache.dat', type: 'file', mode: 0o644, content: bigFile(p, next, mb(8)) },
    ],
    // dependencies
    [{ name: 'app', type: 'directory', mode: 0o755 }, ...treeEntries(p, next, 'app/node_modules', n(8000), { links: true })],
    // the application, whiting out a file and a directory below and making a dir opaque
    [
      { name: 'usr', type: 'directory', mode: 0o755 },
      { name: 'usr/lib', type: 'directory', mode: 0o755 },
      { name: 'usr/lib/.wh.libbig.so', type: 'file', mode: 0o600 },
      { name: 'opt', type: 'directory', mode: 0o755 },
      { name: 'opt/runtime', type: 'directory', mode: 0o755 },
      { name: 'opt/runtime/.wh.pkg0001', type: 'file', mode: 0o600 },
      { name: 'app', type: 'directory', mode: 0o755 },
      { name: 'app/node_modules', type: 'directory', mode: 0o755 },
      { name: 'app/node_modules/pkg0002', type: 'directory', mode: 0o755 },
      { name: 'app/node_modules/pkg0002/.wh..wh..opq', type: 'file', mode: 0o600 },
      ...treeEntries(p, next, 'app/src', n(4000)),
    ],
    // configuration
    [{ name: 'etc', type: 'directory', mode: 0o755 }, ...treeEntries(p, next, 'etc/app', n(400))],
  ];
  const out: BenchLayer[] = [];
  for (const entries of layers) {
    const t = await tarOf(entries);
    out.push({ tar: t, diffID: sha(t), files: entries.filter((e) => e.type === 'file').length });
  }
  return out;
}

/** the layer's blob: gzip (Node's zlib, level 6, like most builders) or zstd (level 3) */
export function compressLayer(layerTar: Buffer, kind: 'gzip' | 'zstd'): Buffer {
  if (kind === 'gzip') return gzipSync(layerTar, { level: 6 });
  const r = spawnSync('zstd', ['-q', '-3', '-c'], { input: layerTar, maxBuffer: 1 << 30 });
  if (r.status !== 0) throw new Error(`zstd failed: ${r.stderr}`);
  return r.stdout;
}
