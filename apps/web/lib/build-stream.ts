/**
 * The dashboard's side of `POST /api/build`: the request URL, reading the NDJSON event
 * stream, and turning events into `docker build`-style log text. No React, no DOM: the
 * Build page renders what this module computes, and the unit tests drive it directly.
 */

/** one line of the agent's build stream */
export type BuildStreamEvent =
  | { type: 'step'; text: string }
  | { type: 'status'; text: string }
  | { type: 'cached' }
  | { type: 'output'; stream: 'stdout' | 'stderr'; data: string }
  | { type: 'built'; id: string }
  | { type: 'tagged'; ref: string }
  | { type: 'error'; message: string };

export interface BuildParams {
  tags?: string[];
  /** path of the Dockerfile inside an uploaded context */
  dockerfile?: string;
  target?: string;
  noCache?: boolean;
  buildArgs?: Record<string, string>;
}

/** `/api/build?t=…&t=…&dockerfile=…&target=…&nocache=1&buildargs={…}`; empty values are left out */
export function buildUrl(p: BuildParams, base = '/api/build'): string {
  const q = new URLSearchParams();
  for (const t of p.tags ?? []) if (t.trim()) q.append('t', t.trim());
  if (p.dockerfile?.trim()) q.set('dockerfile', p.dockerfile.trim());
  if (p.target?.trim()) q.set('target', p.target.trim());
  if (p.noCache) q.set('nocache', '1');
  if (p.buildArgs && Object.keys(p.buildArgs).length) q.set('buildargs', JSON.stringify(p.buildArgs));
  const s = q.toString();
  return s ? `${base}?${s}` : base;
}

/** "a:1, b:2  c" → ['a:1', 'b:2', 'c'] (commas and/or white space separate; duplicates dropped) */
export function parseTags(text: string): string[] {
  return [...new Set(text.split(/[\s,]+/).filter(Boolean))];
}

/** key/value rows → an object; rows without a key are skipped, a key given twice is an error */
export function buildArgsFromRows(rows: { key: string; value: string }[]): Record<string, string> {
  const out: Record<string, string> = {};
  for (const r of rows) {
    const k = r.key.trim();
    if (!k) continue;
    if (/[\s=]/.test(k)) throw new Error(`build arg "${k}": a name cannot contain spaces or "="`);
    if (k in out) throw new Error(`build arg ${k} is given twice`);
    out[k] = r.value;
  }
  return out;
}

/**
 * Reads an NDJSON body: yields each line's JSON value as soon as the line is complete,
 * across chunk boundaries and multi-byte characters split between chunks. Blank lines are
 * skipped; a line that is not JSON is an error (the stream is not what we think it is).
 */
export async function* readNdjson(body: ReadableStream<Uint8Array>): AsyncGenerator<unknown> {
  const reader = body.getReader();
  const decoder = new TextDecoder();
  let buf = '';
  const parse = (line: string) => {
    try {
      return JSON.parse(line) as unknown;
    } catch {
      throw new Error(`the build stream sent a line that is not JSON: ${line.length > 200 ? `${line.slice(0, 200)}…` : line}`);
    }
  };
  try {
    for (;;) {
      const { done, value } = await reader.read();
      buf += done ? decoder.decode() : decoder.decode(value, { stream: true });
      let nl: number;
      while ((nl = buf.indexOf('\n')) >= 0) {
        const line = buf.slice(0, nl).trim();
        buf = buf.slice(nl + 1);
        if (line) yield parse(line);
      }
      if (done) break;
    }
    if (buf.trim()) yield parse(buf.trim());
  } finally {
    reader.releaseLock();
  }
}

/** a known event, or undefined for anything else (newer agents may send more types; they are ignored) */
export function asBuildEvent(v: unknown): BuildStreamEvent | undefined {
  if (!v || typeof v !== 'object') return undefined;
  const e = v as Record<string, unknown>;
  const str = (k: string) => typeof e[k] === 'string';
  switch (e.type) {
    case 'step':
    case 'status':
      return str('text') ? (e as BuildStreamEvent) : undefined;
    case 'cached':
      return { type: 'cached' };
    case 'output':
      return str('data') ? { type: 'output', stream: e.stream === 'stderr' ? 'stderr' : 'stdout', data: e.data as string } : undefined;
    case 'built':
      return str('id') ? (e as BuildStreamEvent) : undefined;
    case 'tagged':
      return str('ref') ? (e as BuildStreamEvent) : undefined;
    case 'error':
      return { type: 'error', message: str('message') ? (e.message as string) : 'the build failed' };
    default:
      return undefined;
  }
}

export const shortId = (id: string) => id.replace(/^sha256:/, '').slice(0, 12);

/** what `docker build` would print for the event (lines end with a newline; RUN output is passed through) */
export function formatEvent(e: BuildStreamEvent): string {
  switch (e.type) {
    case 'step':
      return `${e.text}\n`;
    case 'status':
      return `${e.text}\n`;
    case 'cached':
      return ' ---> Using cache\n';
    case 'output':
      return e.data;
    case 'built':
      return `Successfully built ${shortId(e.id)}\n`;
    case 'tagged':
      return `Successfully tagged ${e.ref}\n`;
    case 'error':
      return `ERROR: ${e.message}\n`;
  }
}

export type LogKind = 'step' | 'status' | 'cached' | 'stdout' | 'stderr' | 'success' | 'error' | 'info';
export interface LogSegment {
  kind: LogKind;
  text: string;
}

/** everything the Build page shows about one build */
export interface BuildState {
  segments: LogSegment[];
  /** the last "Step n/m" seen */
  step?: { n: number; total: number };
  cachedSteps: number;
  id?: string;
  tags: string[];
  error?: string;
}

export const EMPTY_BUILD: BuildState = { segments: [], cachedSteps: 0, tags: [] };

/** the log keeps at most this many characters (the oldest go first) so a chatty RUN cannot eat the tab */
export const LOG_LIMIT = 1_000_000;

function kindOf(e: BuildStreamEvent): LogKind {
  switch (e.type) {
    case 'output':
      return e.stream;
    case 'built':
    case 'tagged':
      return 'success';
    default:
      return e.type;
  }
}

/**
 * Appends `text` to the log: adjacent text of one kind is merged; a line of a structured
 * event (step, status, result, error) always starts on a fresh line, even after RUN output
 * that did not end with a newline.
 */
export function appendLog(segments: LogSegment[], kind: LogKind, text: string, limit = LOG_LIMIT): LogSegment[] {
  if (!text) return segments;
  const out = segments.slice();
  const last = out.at(-1);
  if (kind !== 'stdout' && kind !== 'stderr' && last && !last.text.endsWith('\n')) {
    out[out.length - 1] = { ...last, text: `${last.text}\n` };
  }
  const tail = out.at(-1);
  if (tail && tail.kind === kind) out[out.length - 1] = { kind, text: tail.text + text };
  else out.push({ kind, text });
  let size = out.reduce((n, s) => n + s.text.length, 0);
  while (size > limit && out.length) {
    const first = out[0]!;
    const over = size - limit;
    if (first.text.length <= over) {
      out.shift();
      size -= first.text.length;
    } else {
      out[0] = { ...first, text: first.text.slice(over) };
      size = limit;
    }
  }
  return out;
}

/** the build state after one more event */
export function applyEvent(s: BuildState, e: BuildStreamEvent): BuildState {
  const next: BuildState = { ...s, segments: appendLog(s.segments, kindOf(e), formatEvent(e)) };
  if (e.type === 'step') {
    const m = /^Step (\d+)\/(\d+)/.exec(e.text);
    if (m) next.step = { n: Number(m[1]), total: Number(m[2]) };
  } else if (e.type === 'cached') next.cachedSteps = s.cachedSteps + 1;
  else if (e.type === 'built') next.id = e.id;
  else if (e.type === 'tagged') next.tags = [...s.tags, e.ref];
  else if (e.type === 'error') next.error = e.message;
  return next;
}

/** a line of the dashboard's own (cancelled, connection lost …) in the log */
export function note(s: BuildState, text: string, kind: LogKind = 'info'): BuildState {
  return { ...s, segments: appendLog(s.segments, kind, `${text}\n`) };
}

/** the whole log as plain text */
export const logText = (s: BuildState) => s.segments.map((x) => x.text).join('');

export interface BuildRequest {
  url: string;
  body: BodyInit;
  contentType: string;
  signal?: AbortSignal;
  onEvent: (e: BuildStreamEvent) => void;
  /** injectable for tests; the same-origin `fetch` otherwise */
  fetch?: typeof fetch;
}

/** why a refused request was refused: the agent's `{message}`, else the status line and some of the body */
async function refusal(res: Response): Promise<string> {
  const text = await res.text().catch(() => '');
  try {
    const j = JSON.parse(text) as { message?: unknown; error?: { message?: unknown } };
    const m = typeof j.message === 'string' ? j.message : typeof j.error?.message === 'string' ? j.error.message : undefined;
    if (m) return m;
  } catch {
    // not JSON (a proxy's HTML page or plain text): the snippet below is the reason
    return fallbackReason(res, text);
  }
  return fallbackReason(res, text);
}

function fallbackReason(res: Response, text: string): string {
  const snippet = /^\s*</.test(text) ? '' : text.trim().slice(0, 200);
  return `the agent answered HTTP ${res.status}${res.statusText ? ` ${res.statusText}` : ''}${snippet ? `: ${snippet}` : ''}`;
}

/**
 * Starts a build and feeds its events to `onEvent` until the stream ends. Resolves with
 * the image id, or rejects with the refusal, the build's `error` event, a stream that
 * ended without a result, or the AbortError of a cancelled build.
 */
export async function runBuild(r: BuildRequest): Promise<{ id: string; tags: string[] }> {
  const f = r.fetch ?? fetch;
  const res = await f(r.url, {
    method: 'POST',
    body: r.body,
    headers: { 'content-type': r.contentType, accept: 'application/x-ndjson' },
    credentials: 'same-origin',
    signal: r.signal,
  });
  if (!res.ok) throw new Error(await refusal(res));
  if (!res.body) throw new Error('the agent sent no build output');
  let id: string | undefined;
  const tags: string[] = [];
  for await (const v of readNdjson(res.body)) {
    const e = asBuildEvent(v);
    if (!e) continue;
    r.onEvent(e);
    if (e.type === 'error') throw new BuildFailed(e.message);
    if (e.type === 'built') id = e.id;
    if (e.type === 'tagged') tags.push(e.ref);
  }
  if (!id) throw new Error('the build output ended without a result (the connection may have been lost)');
  return { id, tags };
}

/** the build ran and failed (its error is already in the log) */
export class BuildFailed extends Error {
  override name = 'BuildFailed';
}

/** True for the error of an aborted fetch/stream (Cancel) */
export function isAbort(e: unknown): boolean {
  return (e as { name?: string } | null)?.name === 'AbortError';
}
