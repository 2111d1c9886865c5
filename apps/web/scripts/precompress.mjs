// Writes brotli (.br) and gzip (.gz) copies of the static export's text files next to them,
// once at build, so the agent sends compressed files without compressing per request
// (apps/agent/src/daemon/static/send-file.ts). A copy is kept only when it is smaller.
import { readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { brotliCompressSync, constants, gzipSync } from 'node:zlib';

const OUT = new URL('../out', import.meta.url).pathname;
const TEXT = /\.(html|js|mjs|css|txt|json|map|svg|webmanifest)$/;
/** below this a compressed copy saves less than its headers cost */
const MIN_BYTES = 1024;

let files = 0;
let before = 0;
let after = 0;
async function walk(dir) {
  for (const e of await readdir(dir, { withFileTypes: true })) {
    const path = join(dir, e.name);
    if (e.isDirectory()) await walk(path);
    else if (e.isFile() && TEXT.test(e.name)) await compress(path);
  }
}
async function compress(path) {
  const data = await readFile(path);
  const copies = {
    '.br': brotliCompressSync(data, { params: { [constants.BROTLI_PARAM_QUALITY]: 11, [constants.BROTLI_PARAM_SIZE_HINT]: data.length } }),
    '.gz': gzipSync(data, { level: 9 }),
  };
  for (const [ext, body] of Object.entries(copies)) {
    if (data.length >= MIN_BYTES && body.length < data.length) await writeFile(path + ext, body);
    else await rm(path + ext, { force: true });
  }
  files++;
  before += data.length;
  after += copies['.br'].length;
}
await walk(OUT);
console.log(`precompressed ${files} files: ${(before / 1024).toFixed(0)} KiB, ${(after / 1024).toFixed(0)} KiB as brotli`);
