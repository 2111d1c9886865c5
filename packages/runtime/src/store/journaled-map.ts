import { open, readdir, readFile, rm, truncate } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import { SkiffError } from '../errors.js';
import { writeFileAtomic } from './atomic-file.js';
import { FormatTooNew } from './format-version.js';
import { logFailure, logger } from '@skiff/logger';
import { afterSettled } from '../settled.js';

const log = logger.child({ component: 'store' });

export interface JournaledMapOptions<V> {
  /** the snapshot file; the journal is this path plus `.journal` */
  file: string;
  /** the snapshot's JSON as entries (the snapshot keeps the format the file always had) */
  fromSnapshot(json: unknown): Iterable<[string, V]>;
  toSnapshot(entries: ReadonlyMap<string, V>): unknown;
  /** what a damaged snapshot or journal means: refuse to open, or start empty (a cache) */
  onCorrupt: 'throw' | 'empty';
}

/** compaction waits until the journal is at least this big (and as big as the snapshot) */
const MIN_COMPACT_BYTES = 256 * 1024;

type JournalLine<V> = { k: string; v?: V };

/**
 * A string-keyed map on disk as a compacted snapshot plus an append-only journal of the
 * entries each change touched, so a change costs the bytes of what changed, not of the
 * whole map. Appends are fdatasync'ed one after another, so only the journal's last line
 * can be torn by a crash; open() drops such a tail. Compaction rewrites the snapshot
 * atomically and only then empties the journal: replaying a journal over a snapshot that
 * already holds it gives the same map, so a crash between the two loses nothing.
 */
export class JournaledMap<V> {
  readonly entries = new Map<string, V>();
  private readonly journal: string;
  private journalBytes = 0;
  private snapshotBytes = 0;
  private writing: Promise<unknown> = Promise.resolve();

  private constructor(private readonly opts: JournaledMapOptions<V>) {
    this.journal = `${opts.file}.journal`;
  }

  static async open<V>(opts: JournaledMapOptions<V>): Promise<JournaledMap<V>> {
    const m = new JournaledMap(opts);
    await m.removeStaleTemps();
    await m.loadSnapshot();
    await m.replayJournal();
    return m;
  }

  /**
   * Persists the current value of each key (a key no longer in `entries` is recorded as
   * deleted). Commits are written in call order.
   */
  commit(keys: Iterable<string>): Promise<void> {
    const lines = [...new Set(keys)].map((k) => JSON.stringify(this.entries.has(k) ? ({ k, v: this.entries.get(k) } satisfies JournalLine<V>) : { k }) + '\n');
    const run = afterSettled(this.writing).then(() => (lines.length ? this.append(lines.join('')) : undefined));
    this.writing = run;
    return run;
  }

  private async append(text: string): Promise<void> {
    const bytes = Buffer.byteLength(text);
    if (this.journalBytes + bytes > Math.max(MIN_COMPACT_BYTES, this.snapshotBytes)) return this.compact();
    const fh = await open(this.journal, 'a', 0o600);
    try {
      await fh.appendFile(text);
      await fh.datasync();
    } catch (e) {
      // a part-written line (disk full) would glue onto the next one and read as damage
      await fh.truncate(this.journalBytes).catch(logFailure(log, 'warn', 'cutting a failed append off the journal', { file: this.journal }));
      throw e;
    } finally {
      await fh.close();
    }
    this.journalBytes += bytes;
  }

  private async compact(): Promise<void> {
    const data = JSON.stringify(this.opts.toSnapshot(this.entries)) + '\n';
    await writeFileAtomic(this.opts.file, data, 0o600);
    // the rename must be on disk before the journal it replaces is emptied
    const dir = await open(dirname(this.opts.file), 'r');
    try {
      await dir.sync();
    } finally {
      await dir.close();
    }
    await truncate(this.journal, 0).catch((e: NodeJS.ErrnoException) => {
      if (e.code !== 'ENOENT') throw e;
    });
    this.snapshotBytes = Buffer.byteLength(data);
    this.journalBytes = 0;
  }

  /** a damaged cache starts over empty (snapshot and journal too); anything else refuses to open */
  private async corrupt(what: string, cause: unknown): Promise<void> {
    if (this.opts.onCorrupt === 'throw') {
      throw new SkiffError('INTERNAL', `${what} is corrupt (${(cause as Error).message}); move it away to start without its entries`, { cause });
    }
    log.warn('a journal is damaged: starting it over empty', { file: what, err: cause });
    this.entries.clear();
    await rm(this.opts.file, { force: true });
    await rm(this.journal, { force: true });
    this.snapshotBytes = 0;
    this.journalBytes = 0;
  }

  private async loadSnapshot(): Promise<void> {
    const text = await readIfExists(this.opts.file);
    this.snapshotBytes = Buffer.byteLength(text);
    if (!text) return;
    try {
      for (const [k, v] of this.opts.fromSnapshot(JSON.parse(text))) this.entries.set(k, v);
    } catch (e) {
      if (e instanceof FormatTooNew) throw e; // not damage: a newer release's file, kept as it is
      await this.corrupt(this.opts.file, e);
    }
  }

  private async replayJournal(): Promise<void> {
    const buf = await readFile(this.journal).catch((e: NodeJS.ErrnoException) => {
      if (e.code === 'ENOENT') return Buffer.alloc(0);
      throw e;
    });
    let good = 0; // bytes of whole lines applied
    let torn: unknown;
    for (let start = 0; start < buf.length; ) {
      const nl = buf.indexOf(0x0a, start);
      if (nl < 0) break; // no newline yet: an append that never finished
      let line: JournalLine<V> | undefined;
      try {
        line = JSON.parse(buf.subarray(start, nl).toString('utf8')) as JournalLine<V>;
        if (typeof line?.k !== 'string') throw new Error('a journal line without a key');
      } catch (e) {
        torn ??= e;
      }
      if (line && torn) return await this.corrupt(this.journal, torn); // a whole line after a bad one: not a torn tail
      if (line) {
        if ('v' in line) this.entries.set(line.k, line.v as V);
        else this.entries.delete(line.k);
        good = nl + 1;
      }
      start = nl + 1;
    }
    // the next append must start on a fresh line, not glued to a torn one
    if (good < buf.length) await truncate(this.journal, good);
    this.journalBytes = good;
  }

  /** temp files of snapshot writes a crash interrupted */
  private async removeStaleTemps(): Promise<void> {
    const dir = dirname(this.opts.file);
    const prefix = `${basename(this.opts.file)}.`;
    const names = await readdir(dir).catch((e: NodeJS.ErrnoException) => {
      if (e.code === 'ENOENT') return [] as string[];
      throw e;
    });
    for (const n of names) if (n.startsWith(prefix) && n.endsWith('.tmp')) await rm(join(dir, n), { force: true });
  }
}

async function readIfExists(path: string): Promise<string> {
  return readFile(path, 'utf8').catch((e: NodeJS.ErrnoException) => {
    if (e.code === 'ENOENT') return '';
    throw e;
  });
}
