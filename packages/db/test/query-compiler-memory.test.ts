/**
 * Prisma's query compiler is read from its base64 module as a file (src/query-compiler-wasm.ts),
 * so none of that base64 stays in the heap once compiled; imported, as Prisma's generated
 * client does it, the module's source and its string stayed for good (2 x 4.2 MiB).
 */
import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, describe, expect, it } from 'vitest';

const run = promisify(execFile);
const dir = mkdtempSync(join(tmpdir(), 'skiff-db-wasm-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

// a process of its own that opens a database, queries it (which compiles the query compiler)
// and writes a heap snapshot
const SCRIPT = `
import { writeHeapSnapshot } from 'node:v8';
import { openDb } from ${JSON.stringify(join(import.meta.dirname, '../src/index.ts'))};
const { db } = await openDb({ url: process.env.URL });
console.log(JSON.stringify({ users: await db.user.count() }));
await db.$disconnect();
writeHeapSnapshot(process.env.SNAPSHOT);
`;

describe('the query compiler', () => {
  it('leaves no copy of its base64 in the heap once a query has run', async () => {
    const snapshot = join(dir, 'heap.heapsnapshot');
    const { stdout } = await run(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', SCRIPT], {
      env: { ...process.env, URL: `file:${join(dir, 'skiff.db')}`, SNAPSHOT: snapshot },
      maxBuffer: 16 * 1024 * 1024,
    });
    expect(JSON.parse(stdout.trim().split('\n').at(-1)!)).toEqual({ users: 0 });
    // every string of the heap is in the snapshot's string table: look for the start of the
    // compiler's base64 (its first 200 characters: other, small wasm modules share the magic)
    const base64 = readFileSync(createRequire(import.meta.url).resolve('@prisma/client/runtime/query_compiler_fast_bg.sqlite.wasm-base64.js'), 'latin1');
    const start = base64.slice(base64.indexOf('"') + 1).slice(0, 200);
    expect(start).toMatch(/^[A-Za-z0-9+/]{200}$/);
    const copies = readFileSync(snapshot, 'latin1').split(start).length - 1;
    expect(copies).toBe(0);
  }, 60_000);
});
