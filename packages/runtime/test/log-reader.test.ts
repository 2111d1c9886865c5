import { appendFileSync, mkdtempSync, readdirSync, readlinkSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { HoldLimits } from '../src/container/logs/log-generations.js';
import { chunkEntries } from '../src/container/logs/log-parse.js';
import { readContainerLogChunks, readContainerLogStream, readContainerLogs } from '../src/container/logs/log-reader.js';
import type { LogChunk, LogEntry, LogsOptions } from '../src/types.js';
import { useTestRuntime, waitFor } from './helpers.js';

/** json-file lines as the shim writes them, into files the reader reads: the reader's own input, no stand-in */
const T1 = '2026-12-04T10:00:00.000000001Z';
const T2 = '2026-12-04T10:00:01.000000001Z';
const T3 = '2026-12-04T10:00:02.000000001Z';
const line = (log: string, stream: LogEntry['stream'] = 'stdout', time = T1) => `${JSON.stringify({ log, stream, time })}\n`;

let dir: string;
let log: string;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'skiff-log-reader-'));
  log = join(dir, 'container.log');
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

type Opts = LogsOptions & HoldLimits & { signal?: AbortSignal };
async function entries(opts: Opts = {}, isDone = () => true): Promise<LogEntry[]> {
  const out: LogEntry[] = [];
  for await (const e of readContainerLogs(dir, opts, isDone)) out.push(e);
  return out;
}
/** the chunk form, turned back into entries: must be the same entries */
async function chunked(opts: Opts = {}, isDone = () => true): Promise<LogEntry[]> {
  const out: LogEntry[] = [];
  for await (const batch of readContainerLogChunks(dir, opts, isDone)) for (const c of batch) out.push(...chunkEntries(c));
  return out;
}
const texts = (es: LogEntry[]) => es.map((e) => e.line).join('');

/** Docker frames with timestamps back into entries (a line each; the time is what precedes the first space) */
function unframe(buf: Buffer, out: LogEntry[] = []): LogEntry[] {
  for (let off = 0; off < buf.length; ) {
    const stream = buf[off] === 1 ? 'stdout' : 'stderr';
    const n = buf.readUInt32BE(off + 4);
    for (const l of buf.toString('utf8', off + 8, off + 8 + n).split(/(?<=\n)/)) {
      const sp = l.indexOf(' ');
      out.push({ stream, time: l.slice(0, sp), line: l.slice(sp + 1) });
    }
    off += 8 + n;
  }
  return out;
}
/** the byte form (frames, with timestamps) turned back into entries */
async function streamed(opts: Opts = {}, isDone = () => true): Promise<LogEntry[]> {
  const out: LogEntry[] = [];
  for await (const buf of readContainerLogStream(dir, { ...opts, timestamps: true }, isDone)) unframe(buf, out);
  return out;
}

/** the shim's rotation with `files` files kept: container.log -> .1 -> .2 …, the oldest dropped */
function rotate(files: number) {
  for (let i = files - 1; i >= 1; i--) {
    try {
      renameSync(i === 1 ? log : `${log}.${i - 1}`, `${log}.${i}`);
    } catch {
      /* not there yet */
    }
  }
  writeFileSync(log, '');
}

describe('log reader: history', () => {
  beforeEach(() => {
    writeFileSync(`${log}.2`, line('a1\n') + line('a2\n', 'stderr'));
    writeFileSync(`${log}.1`, line('b1\n', 'stdout', T2) + line('b2 ', 'stdout', T2) + line('rest\n', 'stdout', T2));
    writeFileSync(log, line('c1\n', 'stderr', T3) + line('c2\n', 'stdout', T3) + line('c3\r\n', 'stdout', T3));
  });

  it('gives every line of every generation, oldest first, the same as entries and as chunks', async () => {
    const all = await entries();
    expect(texts(all)).toBe('a1\na2\nb1\nb2 rest\nc1\nc2\nc3\r\n');
    expect(all.map((e) => e.stream)).toEqual(['stdout', 'stderr', 'stdout', 'stdout', 'stdout', 'stderr', 'stdout', 'stdout']);
    expect(all[2]!.time).toBe(T2);
    expect(await chunked()).toEqual(all);
    // the byte form stamps every entry, so the entry split in two reads as two lines' worth
    expect((await streamed()).map((e) => e.line).join('')).toBe('a1\na2\nb1\nb2 ' + T2 + ' rest\nc1\nc2\nc3\r\n');
    expect(await streamed({ tail: 3 })).toEqual(all.slice(-3));
  });

  it('honours tail, since/until and the stream selection alike in every form', async () => {
    const cases: Opts[] = [
      { tail: 2 },
      { tail: 5 }, // reaches into an older file
      { tail: 100 },
      { tail: 0 },
      { since: Date.parse(T2) / 1000 },
      { until: Date.parse(T2) / 1000 },
      { since: Date.parse(T2) / 1000, until: Date.parse(T2) / 1000 },
      { stdout: false },
      { stderr: false },
      { stderr: false, tail: 3 },
    ];
    const want = [
      'c2\nc3\r\n',
      'b2 rest\nc1\nc2\nc3\r\n',
      'a1\na2\nb1\nb2 rest\nc1\nc2\nc3\r\n',
      '',
      'b1\nb2 rest\nc1\nc2\nc3\r\n',
      'a1\na2\nb1\nb2 rest\n',
      'b1\nb2 rest\n',
      'a2\nc1\n',
      'a1\nb1\nb2 rest\nc2\nc3\r\n',
      'rest\nc2\nc3\r\n',
    ];
    for (const [i, opts] of cases.entries()) {
      const e = await entries(opts);
      expect(texts(e), JSON.stringify(opts)).toBe(want[i]);
      expect(await chunked(opts), JSON.stringify(opts)).toEqual(e);
      // the entry split in two ('b2 ', 'rest\n') comes back as one line with the second stamp inside
      const joined = (es: LogEntry[]) => texts(es).replace(`b2 ${T2} rest`, 'b2 rest');
      expect(joined(await streamed(opts)), JSON.stringify(opts)).toBe(texts(e));
    }
  });

  it('skips a torn last line when not following', async () => {
    appendFileSync(log, line('torn\n').slice(0, 20));
    expect(texts(await entries({ tail: 1 }))).toBe('c3\r\n');
  });
});

describe('log reader: follow', () => {
  type Form = 'entries' | 'chunks' | 'bytes';
  const follow = (form: Form, opts: Opts, isDone: () => boolean): AsyncIterable<LogEntry | LogChunk[] | Buffer> =>
    form === 'chunks'
      ? readContainerLogChunks(dir, { ...opts, follow: true }, isDone)
      : form === 'bytes'
        ? readContainerLogStream(dir, { ...opts, follow: true, timestamps: true }, isDone)
        : readContainerLogs(dir, { ...opts, follow: true }, isDone);
  const collect = (x: LogEntry | LogChunk[] | Buffer, got: LogEntry[]) => {
    if (Buffer.isBuffer(x)) unframe(x, got);
    else if (Array.isArray(x)) for (const c of x) got.push(...chunkEntries(c));
    else got.push(x);
  };
  /** a follow that is read only when asked: what it gave so far, and a wait for more */
  function follower(form: Form, opts: Opts, isDone: () => boolean) {
    const got: LogEntry[] = [];
    let ended = false;
    const pump = (async () => {
      for await (const x of follow(form, opts, isDone)) collect(x, got);
      ended = true;
    })();
    return { got, pump, ended: () => ended, text: () => texts(got) };
  }

  /** reads an iterator to its end into `got` */
  async function drain(iter: AsyncIterator<LogEntry | LogChunk[] | Buffer>, got: LogEntry[]): Promise<void> {
    for (;;) {
      const r = await iter.next();
      if (r.done) return;
      collect(r.value, got);
    }
  }
  /** a follow of an empty log that has read its first line ('live'); its consumer then stops reading until resume() */
  async function stalledFollower(form: Form, opts: Opts = {}) {
    writeFileSync(log, '');
    let done = false;
    const iter = follow(form, opts, () => done)[Symbol.asyncIterator]();
    const first = iter.next();
    appendFileSync(log, line('live\n'));
    const got: LogEntry[] = [];
    collect((await first).value!, got);
    let reading: Promise<void> | undefined;
    return {
      got,
      resume: () => void (reading = drain(iter, got)),
      end: async () => {
        done = true;
        await reading;
      },
    };
  }

  for (const form of ['entries', 'chunks', 'bytes'] as const) {
    it(`${form}: --tail 0 shows only lines written after it started`, async () => {
      writeFileSync(log, line('old1\n') + line('old2\n'));
      let done = false;
      const f = follower(form, { tail: 0 }, () => done);
      await new Promise((r) => setTimeout(r, 100));
      appendFileSync(log, line('new\n'));
      await waitFor(async () => f.text() === 'new\n', 5000, 'the new line');
      done = true;
      await f.pump;
      expect(f.text()).toBe('new\n');
    });

    it(`${form}: a line half written when the follow starts is given once, whole`, async () => {
      const half = line('second\n', 'stderr');
      writeFileSync(log, line('first\n') + half.slice(0, 15));
      let done = false;
      const f = follower(form, {}, () => done);
      await waitFor(async () => f.text() === 'first\n', 5000, 'the first line');
      appendFileSync(log, half.slice(15) + line('third\n'));
      await waitFor(async () => f.got.length === 3, 5000, 'three lines');
      done = true;
      await f.pump;
      expect(f.got.map((e) => [e.stream, e.line])).toEqual([
        ['stdout', 'first\n'],
        ['stderr', 'second\n'],
        ['stdout', 'third\n'],
      ]);
    });

    it(`${form}: loses nothing when the log rotates twice while the follower is behind`, async () => {
      writeFileSync(log, line('g0-a\n'));
      let done = false;
      const iter = follow(form, {}, () => done)[Symbol.asyncIterator]();
      const got: LogEntry[] = [];
      collect((await iter.next()).value, got); // history: the follower now holds generation 0 open
      // the generator is not read meanwhile: the follower is behind
      appendFileSync(log, line('g0-b\n'));
      rotate(3);
      appendFileSync(log, line('g1-a\n') + line('g1-b\n'));
      rotate(3);
      appendFileSync(log, line('g2-a\n'));
      rotate(3); // generation 0 is deleted now
      appendFileSync(log, line('g3-a\n'));
      const reading = drain(iter, got);
      await waitFor(async () => got.length === 6, 5000, 'six lines');
      done = true;
      await reading;
      expect(texts(got)).toBe('g0-a\ng0-b\ng1-a\ng1-b\ng2-a\ng3-a\n');
    });

    it(`${form}: loses nothing when the log rotates past every kept file while the consumer does not read`, async () => {
      // a hold limit of one byte: a pause of well under STALLED_MS is not a stall
      const f = await stalledFollower(form, { maxHeldBytes: 1 });
      // the consumer stalls (a slow socket) while the shim, keeping 2 files, rotates 6 times
      for (let i = 0; i < 6; i++) {
        appendFileSync(log, line(`g${i}\n`));
        rotate(2);
        await new Promise((r) => setTimeout(r, 60));
      }
      appendFileSync(log, line('last\n'));
      f.resume();
      await waitFor(async () => f.got.length === 8, 5000, 'eight lines');
      await f.end();
      expect(texts(f.got)).toBe('live\ng0\ng1\ng2\ng3\ng4\ng5\nlast\n');
    });

    it(`${form}: a consumer that stopped reading holds a bounded number of bytes of deleted generations`, async () => {
      const L = line('g10\n').length; // each generation below holds one such line
      const f = await stalledFollower(form, { maxHeldBytes: 5 * L, stalledMs: 100 });
      const heldLogs = () =>
        readdirSync('/proc/self/fd').filter((fd) => {
          try {
            return readlinkSync(`/proc/self/fd/${fd}`).startsWith(log);
          } catch {
            return false;
          }
        }).length;
      for (let i = 10; i < 32; i++) {
        appendFileSync(log, line(`g${i}\n`));
        rotate(2);
        await new Promise((r) => setTimeout(r, 40));
        // the one being read, at most 5 lines' worth behind it, and the newest (empty) file
        expect(heldLogs()).toBeLessThanOrEqual(7);
      }
      appendFileSync(log, line('last\n'));
      f.resume();
      await waitFor(async () => f.got.at(-1)?.line === 'last\n', 5000, 'the last line');
      await f.end();
      // the oldest unread generations were let go; what was read is in order and ends with the newest
      const lines = f.got.map((e) => e.line);
      expect(lines.length).toBeLessThan(25);
      expect(lines.slice(0, 2)).toEqual(['live\n', 'g10\n']);
      expect(lines.slice(-3)).toEqual(['g30\n', 'g31\n', 'last\n']);
      expect(lines.slice(1, -1)).toEqual([...lines.slice(1, -1)].sort((a, b) => Number(a.slice(1, -1)) - Number(b.slice(1, -1))));
      expect(heldLogs()).toBe(0);
    });

    it(`${form}: lines longer than the read buffer, stream selection and the end of the container`, async () => {
      writeFileSync(log, '');
      let done = false;
      const f = follower(form, { stderr: false }, () => done);
      const big = 'x'.repeat(3 * 1024 * 1024) + '\n';
      appendFileSync(log, line('err\n', 'stderr') + line(big) + line('after\n'));
      await waitFor(async () => f.got.length === 2, 10_000, 'two lines');
      done = true; // the container stopped: the follow ends once drained
      await f.pump;
      expect(f.ended()).toBe(true);
      expect(f.got.map((e) => e.line.length)).toEqual([big.length, 'after\n'.length]);
    });

    it(`${form}: ends at the abort signal`, async () => {
      writeFileSync(log, line('x\n'));
      const ac = new AbortController();
      const f = follower(form, { signal: ac.signal }, () => false);
      await waitFor(async () => f.got.length === 1, 5000, 'the line');
      ac.abort();
      await f.pump;
      expect(f.ended()).toBe(true);
    });
  }
});

describe('log chunks of a real container', () => {
  const env = useTestRuntime({ logMaxSize: 64 * 1024, logMaxFiles: 3 });

  it('a follow through rotations gives the same lines as entries, as chunks and as bytes', async () => {
    // ~2000 lines, some on stderr, written in bursts so they share timestamps, rotated about 3 times
    const script =
      'i=0; while [ $i -lt 2000 ]; do echo "line $i of the log"; [ $((i % 7)) = 0 ] && echo "err $i" >&2; i=$((i+1)); [ $((i % 500)) = 0 ] && sleep 0.2; done';
    const { id } = await env.t.rt.containers.run({ image: env.image, cmd: ['sh', '-c', script] });
    const byEntry: LogEntry[] = [];
    const byChunk: LogEntry[] = [];
    const byBytes: LogEntry[] = [];
    let batches = 0;
    let chunks = 0;
    await Promise.all([
      (async () => {
        for await (const e of env.t.rt.containers.logs(id, { follow: true })) byEntry.push(e);
      })(),
      (async () => {
        for await (const batch of env.t.rt.containers.logChunks(id, { follow: true })) {
          batches++;
          chunks += batch.length;
          for (const c of batch) byChunk.push(...chunkEntries(c));
        }
      })(),
      (async () => {
        for await (const buf of env.t.rt.containers.logStream(id, { follow: true, timestamps: true })) unframe(buf, byBytes);
      })(),
    ]);
    const stdout = byEntry.filter((e) => e.stream === 'stdout').map((e) => e.line);
    expect(stdout).toEqual(Array.from({ length: 2000 }, (_, i) => `line ${i} of the log\n`));
    expect(byEntry.filter((e) => e.stream === 'stderr')).toHaveLength(286);
    expect(byChunk).toEqual(byEntry);
    expect(byBytes).toEqual(byEntry);
    // runs of lines read together travel together
    expect(chunks).toBeLessThan(byEntry.length);
    expect(batches).toBeLessThan(chunks + 1);
    await env.t.rt.containers.remove(id, { force: true });
  }, 60_000);
});

describe('a slow follower of a log that rotates fast', () => {
  // small files, many of them kept: dozens of rotations, and a window (10 MiB) wider than
  // all that is written (~7 MB), so nothing is deleted before the follower gets there even
  // when a loaded machine stalls this process for a second (12 files, 3 MiB, lost lines then)
  const env = useTestRuntime({ logMaxSize: 256 * 1024, logMaxFiles: 40 });

  for (const form of ['chunks', 'bytes'] as const) {
    it(`${form}: gets every line once, in order, while the shim rotates under it`, async () => {
      const N = 100_000; // ~7 MB of json-file: ~27 rotations in well under a second
      const { id } = await env.t.rt.containers.run({ image: env.image, cmd: ['sh', '-c', `sleep 0.3; seq 1 ${N}; sleep 60`], network: 'none' });
      const ac = new AbortController();
      let text = '';
      const source =
        form === 'chunks'
          ? (async function* () {
              for await (const batch of env.t.rt.containers.logChunks(id, { follow: true, signal: ac.signal })) yield batch.map((c) => c.text).join('');
            })()
          : (async function* () {
              for await (const buf of env.t.rt.containers.logStream(id, { follow: true, raw: true, signal: ac.signal })) yield buf.toString();
            })();
      const timer = setTimeout(() => ac.abort(), 30_000);
      for await (const piece of source) {
        text += piece;
        await new Promise((r) => setTimeout(r, 2)); // a consumer slower than the writer
        if (text.endsWith(`\n${N}\n`)) break;
      }
      clearTimeout(timer);
      const lines = text.split('\n').filter(Boolean);
      expect(lines.length).toBe(N);
      expect(lines.every((l, i) => l === String(i + 1))).toBe(true);
      await env.t.rt.containers.remove(id, { force: true });
    }, 60_000);
  }
});
