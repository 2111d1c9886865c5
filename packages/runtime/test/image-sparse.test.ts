import { execFileSync } from 'node:child_process';
import { createReadStream, writeFileSync } from 'node:fs';
import { mkdtemp, rm, truncate } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { receiveContext } from '../src/build/context-archive.js';
import { TestRuntime } from './helpers.js';

// GNU sparse entries used to be dropped (old 'S' type: an image without the file) or
// written condensed (PAX forms: a short file of the data blocks only), without an error.
let t: TestRuntime;
let dir: string;
const SPARSE_FORMATS: [string, string[]][] = [
  ['old GNU (S)', ['--format=gnu']],
  ['PAX 0.0', ['--format=pax', '--sparse-version=0.0']],
  ['PAX 0.1', ['--format=pax', '--sparse-version=0.1']],
  ['PAX 1.0', ['--format=pax', '--sparse-version=1.0']],
];

beforeAll(async () => {
  t = await TestRuntime.create([]);
  dir = await mkdtemp(join(tmpdir(), 'skiff-sparse-'));
  // a 1 MiB file with 4 bytes of data in its middle
  writeFileSync(join(dir, 'hole'), '');
  await truncate(join(dir, 'hole'), 1 << 20);
  execFileSync('dd', ['of=' + join(dir, 'hole'), 'bs=1', 'seek=524288', 'conv=notrunc', 'status=none'], { input: 'DATA' });
  writeFileSync(join(dir, 'plain'), 'plain\n');
  for (const [i, [, flags]] of SPARSE_FORMATS.entries()) execFileSync('tar', ['--sparse', ...flags, '-C', dir, '-cf', join(dir, `s${i}.tar`), 'plain', 'hole']);
}, 60_000);

afterAll(async () => {
  await t?.dispose();
  if (dir) await rm(dir, { recursive: true, force: true });
});

describe('GNU sparse files in archives', () => {
  it.each(SPARSE_FORMATS.map(([name], i) => [name, i] as const))('import refuses %s with a clear error, and registers nothing', async (name, i) => {
    const before = (await t.rt.images.list()).length;
    await expect(t.rt.images.import(createReadStream(join(dir, `s${i}.tar`)), { ref: `sparse-${i}:latest` })).rejects.toThrow(
      /"hole" is a GNU sparse file|"hole" has a tar entry type Skiff does not unpack/,
    );
    expect((await t.rt.images.list()).length).toBe(before);
    // a build context takes the same unpacker
    await expect(receiveContext(createReadStream(join(dir, `s${i}.tar`)), join(dir, 'ctx'))).rejects.toThrow(
      /build context archive is invalid: .*(GNU sparse|entry type)/,
    );
    void name;
  });

  it('load refuses an image archive whose own entries are sparse', async () => {
    execFileSync('tar', ['--sparse', '-C', dir, '-cf', join(dir, 'load.tar'), 'hole']);
    await expect(t.rt.images.load(createReadStream(join(dir, 'load.tar')))).rejects.toThrow(
      /image archive entry "hole" has a tar entry type Skiff does not unpack/,
    );
  });

  it('still imports the same files archived without --sparse', async () => {
    execFileSync('tar', ['-C', dir, '-cf', join(dir, 'dense.tar'), 'plain', 'hole']);
    const { id } = await t.rt.images.import(createReadStream(join(dir, 'dense.tar')), { ref: 'dense:latest' });
    expect((await t.rt.images.inspect(id)).size).toBeGreaterThanOrEqual((1 << 20) + 6); // the whole file, holes as zeros
  });
});
