import { spawn, spawnSync } from 'node:child_process';
import { closeSync, openSync, readFileSync, readdirSync, statSync, truncateSync, writeFileSync, writeSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { ImageStore } from '../src/image/image-store.js';
import { JournaledMap } from '../src/store/journaled-map.js';
import { waitFor } from './helpers.js';

const roots: string[] = [];
afterAll(async () => {
  for (const r of roots) await rm(r, { recursive: true, force: true });
});

async function freshRoot(): Promise<string> {
  const root = await mkdtemp(join(tmpdir(), 'skiff-idx-'));
  roots.push(root);
  return root;
}

/** bytes this process passed to write(2) so far (all threads) */
function bytesWrittenByProcess(): number {
  return Number(/^wchar: (\d+)$/m.exec(readFileSync('/proc/self/io', 'utf8'))![1]);
}

/** a config-only image (no layer), as a build's metadata step makes one */
function addImage(store: ImageStore, n: number, filler = '') {
  return store.createImage({ config: { Labels: { step: String(n), ...(filler ? { filler } : {}) } }, history: { created_by: `LABEL step=${n}` } });
}

describe('image index journal', () => {
  it("writes each step's record once, not the whole index; prunes 1000 dangling images in one pass", async () => {
    const root = await freshRoot();
    const store = await ImageStore.open({ root, insecureRegistries: [] });
    const N = 1000;
    const before = bytesWrittenByProcess();
    for (let n = 0; n < N; n++) await addImage(store, n);
    const written = bytesWrittenByProcess() - before;
    // per image: a ~400 B config, a ~400 B manifest and a ~1 KB record (appended, and now and
    // then in a compacted snapshot); rewriting the whole index per step wrote ~500 MB here
    expect(written / N).toBeLessThan(8 * 1024);
    expect((await store.list({ dangling: true })).length).toBe(N);
    // an agent start reads snapshot and journal back quickly, to the same images
    const t1 = Date.now();
    const reopened = await ImageStore.open({ root, insecureRegistries: [] });
    expect(Date.now() - t1).toBeLessThan(2000);
    expect((await reopened.list()).length).toBe(N);

    const t0 = Date.now();
    const pruned = await store.prune();
    const pruneMs = Date.now() - t0;
    expect(pruned.deleted.length).toBe(N);
    expect(pruneMs).toBeLessThan(3000);
    expect(await store.list()).toEqual([]);
    expect(readdirSync(join(root, 'blobs', 'sha256'))).toEqual([]);
    // and the store reopens to the same (empty) index
    expect(await (await ImageStore.open({ root, insecureRegistries: [] })).list()).toEqual([]);
  });

  it('keeps every acknowledged image when the writer is SIGKILLed mid-write, again and again', async () => {
    const root = await freshRoot();
    const acked = new Set<string>();
    for (let round = 0; round < 12; round++) {
      const child = spawn(process.execPath, ['--import', 'tsx', join(__dirname, 'programs/index-writer-child.ts'), root, '3000'], {
        stdio: ['ignore', 'pipe', 'inherit'],
      });
      let out = '';
      child.stdout!.on('data', (d: Buffer) => (out += d.toString()));
      const exited = new Promise((r) => child.once('exit', r));
      await waitFor(async () => out.includes('\n'), 20_000, 'the writer to add an image');
      // a kill at a random point of the write loop: mid-append, mid-compaction or between
      await new Promise((r) => setTimeout(r, 50 + Math.random() * 400));
      child.kill('SIGKILL');
      await exited;
      for (const line of out.split('\n').slice(0, -1)) acked.add(line);
      const store = await ImageStore.open({ root, insecureRegistries: [] });
      const ids = new Set((await store.list()).map((i) => i.id));
      for (const id of acked) expect(ids.has(id), `image ${id} acknowledged before the kill`).toBe(true);
      // a tag names one image, whatever moment the kill hit
      expect((await store.list()).filter((i) => i.repoTags.includes('crash/moving:latest')).length).toBeLessThanOrEqual(1);
    }
    // the rounds crossed compactions (3 KB records, 256 KB journal threshold), not just appends
    expect(acked.size).toBeGreaterThan(200);
  });

  it('a disk that fills up mid-append fails that change and leaves a journal that still opens', async () => {
    const root = await freshRoot();
    expect(spawnSync('mount', ['-t', 'tmpfs', '-o', 'size=256k', 'skiff-idx-test', root]).status).toBe(0);
    try {
      const file = join(root, 'map.json');
      const opts = {
        file,
        fromSnapshot: (j: unknown) => Object.entries(j as Record<string, string>),
        toSnapshot: (e: ReadonlyMap<string, string>) => Object.fromEntries(e),
        onCorrupt: 'throw' as const,
      };
      const map = await JournaledMap.open<string>(opts);
      map.entries.set('kept', 'before the disk filled');
      await map.commit(['kept']);
      // fill the disk, then give back one page: the next append fits only in part
      const filler = join(root, 'filler');
      const fd = openSync(filler, 'w');
      try {
        for (;;) writeSync(fd, Buffer.alloc(4096));
      } catch (e) {
        expect((e as NodeJS.ErrnoException).code).toBe('ENOSPC');
      }
      closeSync(fd);
      truncateSync(filler, statSync(filler).size - 4096);
      map.entries.set('big', 'z'.repeat(20_000));
      await expect(map.commit(['big'])).rejects.toThrow(/ENOSPC|no space/);
      // room again: the next change appends on a clean line
      truncateSync(filler, 0);
      map.entries.set('after', 'the disk had room again');
      await map.commit(['after']);
      const reopened = await JournaledMap.open<string>(opts);
      expect(reopened.entries.get('kept')).toBe('before the disk filled');
      expect(reopened.entries.get('after')).toBe('the disk had room again');
    } finally {
      spawnSync('umount', [root]);
    }
  });

  it('drops a torn journal tail, appends after it, and refuses a journal damaged in the middle', async () => {
    const root = await freshRoot();
    let store = await ImageStore.open({ root, insecureRegistries: [] });
    const a = await addImage(store, 1);
    const b = await addImage(store, 2);
    const journal = join(root, 'images', 'index.json.journal');
    const size = statSync(journal).size;
    // the last append cut short, as a kill mid-write leaves it
    truncateSync(journal, size - 25);
    store = await ImageStore.open({ root, insecureRegistries: [] });
    expect((await store.list()).map((i) => i.id)).toEqual([a.id]);
    const c = await addImage(store, 3);
    store = await ImageStore.open({ root, insecureRegistries: [] });
    expect((await store.list()).map((i) => i.id).sort()).toEqual([a.id, c.id].sort());
    expect(b.id).not.toBe(c.id);
    // a bad line followed by good ones is damage, not a torn tail: refuse rather than forget
    const lines = readFileSync(journal, 'utf8').split('\n');
    lines[0] = lines[0]!.slice(0, 10);
    writeFileSync(journal, lines.join('\n'));
    await expect(ImageStore.open({ root, insecureRegistries: [] })).rejects.toThrow(/index\.json\.journal is corrupt/);
  });
});
