import type { LogChunk, LogEntry, LogStreamOptions, LogsOptions } from '../../types.js';
import { encodeLogChunks, encodeLogLines } from './log-frames.js';
import { closeGeneration, GenerationWatch, generationSize, openGenerations, readGeneration, type Generation, type HoldLimits } from './log-generations.js';
import { parseLogChunks, parseLogLines } from './log-parse.js';

/** bytes read per step while following; one step is one batch of entries */
const CHUNK = 1024 * 1024;
/** history is handed out in batches of this many entries */
const HISTORY_BATCH = 8192;

/** what every reader takes; the hold limits are lowered by tests only */
type ReadOptions = LogsOptions & HoldLimits & { signal?: AbortSignal };

type Keep = (stream: LogEntry['stream'], time: string) => boolean;

function filter(opts: LogsOptions): Keep {
  const times = opts.since !== undefined || opts.until !== undefined;
  // lines read together share one timestamp: parse each time once
  let lastTime = '';
  let lastInRange = true;
  return (stream, time) => {
    if (stream === 'stdout' && opts.stdout === false) return false;
    if (stream === 'stderr' && opts.stderr === false) return false;
    if (!times) return true;
    if (time !== lastTime) {
      const t = Date.parse(time) / 1000;
      lastTime = time;
      lastInRange = !(opts.since !== undefined && t < opts.since) && !(opts.until !== undefined && t > opts.until);
    }
    return lastInRange;
  };
}

/** how a reader hands out what it parsed: a batch of entries (a line each), chunks (runs of lines) or bytes */
interface Format<B> {
  /** the whole lines in buf[start..end); undefined when none was kept */
  parse(buf: Buffer, start: number, end: number, keep: Keep): B | undefined;
  fromEntries(entries: LogEntry[]): B;
}
const ENTRIES: Format<LogEntry[]> = {
  parse(buf, start, end, keep) {
    const out: LogEntry[] = [];
    parseLogLines(buf.toString('utf8', start, end), out, keep);
    return out.length ? out : undefined;
  },
  fromEntries: (e) => e,
};
function chunksOf(entries: LogEntry[]): LogChunk[] {
  const out: LogChunk[] = [];
  for (const e of entries) {
    const last = out[out.length - 1];
    if (last && last.stream === e.stream && last.time === e.time && last.text.endsWith('\n')) last.text += e.line;
    else out.push({ stream: e.stream, time: e.time, text: e.line });
  }
  return out;
}
const CHUNKS: Format<LogChunk[]> = {
  parse(buf, start, end, keep) {
    const out: LogChunk[] = [];
    parseLogChunks(buf.toString('utf8', start, end), out, keep);
    return out.length ? out : undefined;
  },
  fromEntries: chunksOf,
};
/** bytes on the wire; the addon filters by itself, so `keep` is not used */
const bytes = (opts: LogsOptions & LogStreamOptions): Format<Buffer> => ({
  parse: (buf, start, end) => encodeLogLines(buf, start, end, opts),
  fromEntries: (entries) => encodeLogChunks(chunksOf(entries), opts),
});

/**
 * Reads a container's json-file log in batches of entries: the existing lines (honouring
 * tail/since/until/stream filters) and, with `follow`, new lines as the shim appends them
 * until `isDone()` says the container has stopped and the log has been drained.
 */
export function readContainerLogBatches(dir: string, opts: ReadOptions, isDone: () => boolean): AsyncGenerator<LogEntry[]> {
  return readLog(dir, opts, isDone, ENTRIES);
}

/** the same as chunks: consecutive lines with one stream and timestamp together (the cheap form for streams) */
export function readContainerLogChunks(dir: string, opts: ReadOptions, isDone: () => boolean): AsyncGenerator<LogChunk[]> {
  return readLog(dir, opts, isDone, CHUNKS);
}

/** the same as Docker's stream bytes (see log-frames.ts): what `docker logs` and `skiff logs` read */
export function readContainerLogStream(
  dir: string,
  opts: LogsOptions & LogStreamOptions & { signal?: AbortSignal },
  isDone: () => boolean,
): AsyncGenerator<Buffer> {
  return readLog(dir, opts, isDone, bytes(opts));
}

/** entry by entry; see readContainerLogBatches */
export async function* readContainerLogs(dir: string, opts: ReadOptions, isDone: () => boolean): AsyncGenerator<LogEntry> {
  for await (const batch of readContainerLogBatches(dir, opts, isDone)) yield* batch;
}

/** ranges of `buf` of about CHUNK bytes, cut after a newline */
function* pieces(buf: Buffer): Generator<[number, number]> {
  let pos = 0;
  while (pos < buf.length) {
    const end = pos + CHUNK >= buf.length ? buf.length : buf.indexOf(0x0a, pos + CHUNK) + 1 || buf.length;
    yield [pos, end];
    pos = end;
  }
}

async function* readLog<B>(dir: string, opts: ReadOptions, isDone: () => boolean, format: Format<B>): AsyncGenerator<B> {
  const keep = filter(opts);
  // every generation opened at once (names shift under a rotation; descriptors do not):
  // the current one last, so following continues exactly where history ends
  const history = await openGenerations(dir);
  const current = history[history.length - 1];
  const unread = new Set(history);
  const gens: Generation[] = current ? [current] : [];
  // from here on, rotations are noticed even while the consumer is still taking history
  const watch = opts.follow ? new GenerationWatch(dir, gens, opts) : undefined;
  const readHistory = async (i: number): Promise<Buffer> => {
    const g = history[i]!;
    const size = await generationSize(g);
    const buf = Buffer.allocUnsafe(size);
    const bytesRead = size ? await readGeneration(g, buf, 0, size, 0) : 0;
    if (g !== current) {
      unread.delete(g);
      await closeGeneration(g);
      return buf.subarray(0, bytesRead);
    }
    // a last line still being written is read again by the follower
    const cut = opts.follow ? buf.lastIndexOf(0x0a, bytesRead - 1) + 1 : bytesRead;
    current.pos = cut;
    return buf.subarray(0, cut);
  };
  try {
    if (opts.tail !== undefined) {
      // from the newest file backwards only as far as needed; the current one always, as
      // that sets where a follow starts (`--tail 0 -f` shows only new lines)
      let lines: LogEntry[] = [];
      for (let i = history.length - 1; i >= 0 && (i === history.length - 1 || lines.length < opts.tail); i--) {
        const entries: LogEntry[] = [];
        parseLogLines((await readHistory(i)).toString('utf8'), entries, keep);
        lines = lines.length ? entries.concat(lines) : entries;
      }
      lines = opts.tail <= 0 ? [] : lines.slice(-opts.tail);
      for (let i = 0; i < lines.length; i += HISTORY_BATCH) yield format.fromEntries(lines.slice(i, i + HISTORY_BATCH));
    } else {
      for (let i = 0; i < history.length; i++) {
        const buf = await readHistory(i);
        for (const [start, end] of pieces(buf)) {
          const batch = format.parse(buf, start, end, keep);
          if (batch !== undefined) yield batch;
        }
      }
    }
    if (!watch) return;
    yield* follow(watch, opts, keep, isDone, format);
  } finally {
    await watch?.close();
    for (const g of new Set([...unread, ...gens])) await closeGeneration(g);
  }
}

/**
 * Follow: read the oldest generation held to its end, then move to the next. The watch
 * opens new generations as soon as `container.log` is seen to be a new file, before the
 * shim can rotate them away, also while this generator waits for its consumer.
 */
async function* follow<B>(watch: GenerationWatch, opts: ReadOptions, keep: Keep, isDone: () => boolean, format: Format<B>): AsyncGenerator<B> {
  const gens = watch.gens;
  const onAbort = () => watch.interrupt();
  opts.signal?.addEventListener('abort', onAbort);
  // a line cut at the end of a read; `buf` keeps it in front of the next read
  let buf = Buffer.allocUnsafe(CHUNK);
  let partial = 0;
  try {
    for (;;) {
      if (opts.signal?.aborted) return;
      const done = isDone();
      await watch.discover();
      const g = gens[0];
      if (g) {
        if (buf.length - partial < CHUNK / 2) {
          const bigger = Buffer.allocUnsafe(buf.length * 2); // a line longer than the buffer
          buf.copy(bigger, 0, 0, partial);
          buf = bigger;
        }
        const bytesRead = await readGeneration(g, buf, partial, buf.length - partial, g.pos);
        if (bytesRead > 0) {
          watch.noteRead();
          g.pos += bytesRead;
          const end = partial + bytesRead;
          // split on the last newline in bytes so a multi-byte character is never cut
          const cut = buf.lastIndexOf(0x0a, end - 1) + 1;
          const batch = cut > 0 ? format.parse(buf, 0, cut, keep) : undefined;
          partial = end - cut;
          if (partial) buf.copy(buf, 0, cut, end);
          if (batch !== undefined) yield batch;
          if (opts.until !== undefined && Date.now() / 1000 > opts.until) return;
          continue;
        }
        if (gens.length > 1) {
          // finished, and the shim writes to a newer one: entries never span two files
          partial = 0;
          await watch.exclusive(async () => {
            if (gens[0] === g) gens.shift();
            await closeGeneration(g);
          });
          continue;
        }
        if ((await generationSize(g)) < g.pos) {
          // truncated in place (rotation with a single file)
          g.pos = 0;
          partial = 0;
          continue;
        }
      }
      if (done) return;
      await watch.idle();
    }
  } finally {
    opts.signal?.removeEventListener('abort', onAbort);
  }
}
