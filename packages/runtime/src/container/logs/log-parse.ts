import type { LogChunk, LogEntry } from '../../types.js';

/**
 * Parses json-file log lines as the shim writes them:
 *   {"log":"<escaped text>","stream":"stdout"|"stderr","time":"<RFC3339Nano>"}
 * Most lines need no JSON parser: inside the escaped text every `"` is `\"`, so the
 * `","stream":"` and `","time":"` found from the end of a line are the real keys, and text
 * whose only escape is the final `\n` (or `\r\n`) is the line itself. Anything else (other escapes,
 * another writer's key order, a torn line) goes through JSON.parse, and lines that do not
 * parse are skipped.
 */
const PREFIX = '{"log":"';
const STREAM_KEY = '","stream":"';
const TIME_KEY = '","time":"';
const N = 0x6e;
const R = 0x72;
const QUOTE = 0x22;
const BRACE = 0x7d;

function parseSlow(line: string): LogEntry | undefined {
  try {
    const raw = JSON.parse(line) as { log?: unknown; stream?: unknown; time?: unknown };
    if (typeof raw.log !== 'string' || (raw.stream !== 'stdout' && raw.stream !== 'stderr') || typeof raw.time !== 'string') return undefined;
    return { stream: raw.stream, time: raw.time, line: raw.log };
  } catch {
    return undefined; // a torn last line of a crashed shim
  }
}

/** what scanLine found (module scratch, so the hot loop allocates no objects) */
const scanned = { stream: '' as LogEntry['stream'], time: '', line: '' };

/** one line of `text` from `start` to `end` (exclusive, no newline) into `scanned`; false if it is no log entry */
function scanLine(text: string, start: number, end: number): boolean {
  if (end - start < PREFIX.length + STREAM_KEY.length + TIME_KEY.length + 2) return scanSlow(text.slice(start, end));
  if (!text.startsWith(PREFIX, start) || text.charCodeAt(end - 1) !== BRACE || text.charCodeAt(end - 2) !== QUOTE) return scanSlow(text.slice(start, end));
  const t = text.lastIndexOf(TIME_KEY, end);
  const s = t > start ? text.lastIndexOf(STREAM_KEY, t - 1) : -1;
  if (s < start + PREFIX.length) return scanSlow(text.slice(start, end));
  const stream = text.slice(s + STREAM_KEY.length, t);
  if (stream !== 'stdout' && stream !== 'stderr') return scanSlow(text.slice(start, end));
  const from = start + PREFIX.length;
  const esc = text.indexOf('\\', from);
  if (esc === -1 || esc >= s) scanned.line = text.slice(from, s);
  else if (esc === s - 2 && text.charCodeAt(s - 1) === N) scanned.line = text.slice(from, s - 2) + '\n';
  // a terminal's lines end in \r\n
  else if (esc === s - 4 && text.charCodeAt(s - 3) === R && text.charCodeAt(s - 2) === 0x5c && text.charCodeAt(s - 1) === N)
    scanned.line = text.slice(from, s - 4) + '\r\n';
  else return scanSlow(text.slice(start, end));
  scanned.stream = stream;
  scanned.time = text.slice(t + TIME_KEY.length, end - 2);
  return true;
}

function scanSlow(line: string): boolean {
  const e = parseSlow(line);
  if (!e) return false;
  scanned.stream = e.stream;
  scanned.time = e.time;
  scanned.line = e.line;
  return true;
}

/** one line of `text` from `start` to `end` (exclusive, no newline) */
export function parseLogLine(text: string, start: number, end: number): LogEntry | undefined {
  return scanLine(text, start, end) ? { stream: scanned.stream, time: scanned.time, line: scanned.line } : undefined;
}

/** calls `each` with the bounds of every non-empty line of `text` */
function forEachLine(text: string, each: (start: number, end: number) => void): void {
  let pos = 0;
  while (pos < text.length) {
    let nl = text.indexOf('\n', pos);
    if (nl === -1) nl = text.length;
    if (nl > pos) each(pos, nl);
    pos = nl + 1;
  }
}

/** every line of `text` (whole lines) into `out` */
export function parseLogLines(text: string, out: LogEntry[], keep: (stream: LogEntry['stream'], time: string) => boolean = () => true): void {
  forEachLine(text, (start, end) => {
    if (scanLine(text, start, end) && keep(scanned.stream, scanned.time)) out.push({ stream: scanned.stream, time: scanned.time, line: scanned.line });
  });
}

/** every line of `text` into `out`, merged into chunks (joined once: appending to a string that is then read again flattens it each time) */
export function parseLogChunks(text: string, out: LogChunk[], keep: (stream: LogEntry['stream'], time: string) => boolean = () => true): void {
  let stream = '';
  let time = '';
  let parts: string[] = [];
  let complete = false; // the run's last line ended with a newline
  const flush = () => {
    if (parts.length) out.push({ stream: stream as LogEntry['stream'], time, text: parts.length === 1 ? parts[0]! : parts.join('') });
    parts = [];
  };
  forEachLine(text, (start, end) => {
    if (!scanLine(text, start, end) || !keep(scanned.stream, scanned.time)) return;
    if (!complete || scanned.stream !== stream || scanned.time !== time) {
      flush();
      stream = scanned.stream;
      time = scanned.time;
    }
    parts.push(scanned.line);
    complete = scanned.line.endsWith('\n');
  });
  flush();
}

/** the entries of chunks again: one per line */
export function chunkEntries(chunk: LogChunk): LogEntry[] {
  const out: LogEntry[] = [];
  let pos = 0;
  while (pos < chunk.text.length) {
    const nl = chunk.text.indexOf('\n', pos);
    const end = nl === -1 ? chunk.text.length : nl + 1;
    out.push({ stream: chunk.stream, time: chunk.time, line: chunk.text.slice(pos, end) });
    pos = end;
  }
  return out;
}
