import { watch, type FSWatcher } from 'node:fs';
import { open, readdir, stat } from 'node:fs/promises';
import { join } from 'node:path';
import type { LogEntry, LogsOptions } from '../types.js';

interface RawLogLine {
  log: string;
  stream: 'stdout' | 'stderr';
  time: string;
}

const FOLLOW_POLL_MS = 250;

/** container.log.N … container.log.1, container.log: oldest first */
async function logFiles(dir: string): Promise<string[]> {
  const names = await readdir(dir).catch(() => [] as string[]);
  const rotated = names
    .map((n) => /^container\.log\.(\d+)$/.exec(n))
    .filter((m): m is RegExpExecArray => !!m)
    .sort((a, b) => Number(b[1]) - Number(a[1]))
    .map((m) => join(dir, m[0]));
  return [...rotated, join(dir, 'container.log')];
}

function parseLine(line: string): LogEntry | undefined {
  if (!line) return undefined;
  try {
    const raw = JSON.parse(line) as RawLogLine;
    return { stream: raw.stream, time: raw.time, line: raw.log };
  } catch {
    return undefined; // a torn last line of a crashed shim
  }
}

function wanted(e: LogEntry, opts: LogsOptions): boolean {
  if (e.stream === 'stdout' && opts.stdout === false) return false;
  if (e.stream === 'stderr' && opts.stderr === false) return false;
  const t = Date.parse(e.time) / 1000;
  if (opts.since !== undefined && t < opts.since) return false;
  if (opts.until !== undefined && t > opts.until) return false;
  return true;
}

/**
 * Reads a container's json-file log: the existing lines (honouring tail/since/until/stream
 * filters) and, with `follow`, new lines as the shim appends them until `isDone()` says
 * the container has stopped and the file has been drained.
 */
export async function* readContainerLogs(
  dir: string,
  opts: LogsOptions & { signal?: AbortSignal },
  isDone: () => boolean,
): AsyncGenerator<LogEntry> {
  const files = await logFiles(dir);
  const current = files[files.length - 1]!;
  let offset = 0;

  // History. For --tail read from the newest file backwards only as far as needed.
  let history: LogEntry[] = [];
  for (let i = files.length - 1; i >= 0; i--) {
    const text = await readWhole(files[i]!);
    if (i === files.length - 1) offset = Buffer.byteLength(text);
    const entries = text.split('\n').map(parseLine).filter((e): e is LogEntry => !!e && wanted(e, opts));
    history = entries.concat(history);
    if (opts.tail !== undefined && history.length >= opts.tail) break;
  }
  if (opts.tail !== undefined) history = opts.tail <= 0 ? [] : history.slice(-opts.tail);
  for (const e of history) yield e;
  if (!opts.follow) return;

  // Follow: inotify wake-ups with a poll as safety net; a rotation shows up as the file shrinking.
  let wake: (() => void) | undefined;
  let watcher: FSWatcher | undefined;
  try {
    watcher = watch(dir, () => wake?.());
  } catch {
    /* polling only */
  }
  const onAbort = () => wake?.();
  opts.signal?.addEventListener('abort', onAbort);
  let partial = Buffer.alloc(0);
  try {
    for (;;) {
      if (opts.signal?.aborted) return;
      const done = isDone();
      const size = (await stat(current).catch(() => ({ size: 0 }))).size;
      if (size < offset) {
        // rotated: finish the renamed file first
        const rotated = Buffer.from(await readWhole(`${current}.1`));
        const rest = Buffer.concat([partial, rotated.subarray(offset)]).toString('utf8');
        for (const e of rest.split('\n').map(parseLine)) if (e && wanted(e, opts)) yield e;
        partial = Buffer.alloc(0);
        offset = 0;
        continue;
      }
      if (size > offset) {
        const chunk = await readRange(current, offset, size);
        offset = size;
        // split on the last newline in bytes so a multi-byte character is never cut
        const buf = Buffer.concat([partial, chunk]);
        const cut = buf.lastIndexOf(0x0a);
        partial = buf.subarray(cut + 1);
        for (const l of buf.subarray(0, cut + 1).toString('utf8').split('\n')) {
          const e = parseLine(l);
          if (e && wanted(e, opts)) yield e;
        }
        if (opts.until !== undefined && Date.now() / 1000 > opts.until) return;
        continue;
      }
      if (done) return;
      await new Promise<void>((resolve) => {
        const t = setTimeout(resolve, FOLLOW_POLL_MS);
        wake = () => {
          clearTimeout(t);
          resolve();
        };
      });
      wake = undefined;
    }
  } finally {
    watcher?.close();
    opts.signal?.removeEventListener('abort', onAbort);
  }
}

async function readWhole(path: string): Promise<string> {
  const fh = await open(path, 'r').catch(() => undefined);
  if (!fh) return '';
  try {
    return await fh.readFile('utf8');
  } finally {
    await fh.close();
  }
}

async function readRange(path: string, from: number, to: number): Promise<Buffer> {
  const fh = await open(path, 'r');
  try {
    const buf = Buffer.alloc(to - from);
    const { bytesRead } = await fh.read(buf, 0, buf.length, from);
    return buf.subarray(0, bytesRead);
  } finally {
    await fh.close();
  }
}
