import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { OP, UnpackQueue } from '../src/image/unpack-queue.js';

const dir = mkdtempSync(join(tmpdir(), 'skiff-unpack-queue-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('unpack queue', () => {
  it('runs batches one at a time and in order when several callers submit while one runs', async () => {
    const q = new UnpackQueue();
    const path = join(dir, 'f');
    const part = (c: string) => Buffer.alloc(5 << 20, c);
    // a file whose data spans batches; while the first runs, one caller waits to submit the
    // next and another submits too: neither may start before the first is done
    // (the first batch also creates a few hundred directories, so it is still running)
    for (let i = 0; i < 300; i++) q.add(OP.mkdir, join(dir, `d${i}`), `d${i}`, { mode: 0o755 });
    q.add(OP.open, path, 'f');
    q.write(path, 'f', part('a'));
    await q.submit();
    q.write(path, 'f', part('b'));
    const second = q.submit();
    await new Promise((r) => setImmediate(r));
    q.add(OP.close, path, 'f', { mode: 0o644 });
    const third = q.submit();
    await Promise.all([second, third]);
    await q.drain();
    expect(readFileSync(path).equals(Buffer.concat([part('a'), part('b')]))).toBe(true);
  });

  it('reports a failed op with its entry and path, and fails what comes after', async () => {
    const q = new UnpackQueue();
    q.add(OP.mkdir, join(dir, 'missing/parent/d'), 'missing/parent/d', { mode: 0o755 });
    await expect(q.drain()).rejects.toMatchObject({ code: 'ENOENT', syscall: 'mkdir', message: expect.stringContaining('layer entry "missing/parent/d"') });
    q.add(OP.mkdir, join(dir, 'ok'), 'ok', { mode: 0o755 });
    await expect(q.drain()).rejects.toMatchObject({ code: 'ENOENT' });
  });
});
