import { describe, expect, it } from 'vitest';
import {
  applyEvent,
  appendLog,
  buildArgsFromRows,
  buildUrl,
  BuildFailed,
  EMPTY_BUILD,
  formatEvent,
  isAbort,
  logText,
  parseTags,
  readNdjson,
  runBuild,
  type BuildStreamEvent,
} from '../lib/build-stream.js';

/** a body that arrives in the given chunks (strings or raw bytes) */
function chunked(chunks: (string | Uint8Array)[]): ReadableStream<Uint8Array> {
  const enc = new TextEncoder();
  return new ReadableStream({
    start(c) {
      for (const x of chunks) c.enqueue(typeof x === 'string' ? enc.encode(x) : x);
      c.close();
    },
  });
}

async function all(body: ReadableStream<Uint8Array>): Promise<unknown[]> {
  const out: unknown[] = [];
  for await (const v of readNdjson(body)) out.push(v);
  return out;
}

const ID = `sha256:${'ab12cd34ef56'.repeat(5)}abcd`;

const EVENTS: BuildStreamEvent[] = [
  { type: 'step', text: 'Step 1/3 : FROM busybox' },
  { type: 'status', text: ' ---> 1a2b3c4d5e6f' },
  { type: 'step', text: 'Step 2/3 : RUN echo hi; echo oops >&2' },
  { type: 'output', stream: 'stdout', data: 'hi\n' },
  { type: 'output', stream: 'stderr', data: 'oops' },
  { type: 'status', text: ' ---> 2b3c4d5e6f7a' },
  { type: 'step', text: 'Step 3/3 : CMD cat /x' },
  { type: 'cached' },
  { type: 'status', text: ' ---> 3c4d5e6f7a8b' },
  { type: 'built', id: ID },
  { type: 'tagged', ref: 'demo:1' },
];

describe('build request', () => {
  it('puts tags, dockerfile, target, nocache and build args in the query', () => {
    const url = buildUrl({ tags: ['a/b:1', 'c'], dockerfile: 'sub/Dockerfile', target: 'final', noCache: true, buildArgs: { V: '1 2', X: '' } });
    const u = new URL(url, 'http://x');
    expect(u.pathname).toBe('/api/build');
    expect(u.searchParams.getAll('t')).toEqual(['a/b:1', 'c']);
    expect(u.searchParams.get('dockerfile')).toBe('sub/Dockerfile');
    expect(u.searchParams.get('target')).toBe('final');
    expect(u.searchParams.get('nocache')).toBe('1');
    expect(JSON.parse(u.searchParams.get('buildargs')!)).toEqual({ V: '1 2', X: '' });
  });

  it('leaves empty options out', () => {
    expect(buildUrl({})).toBe('/api/build');
    expect(buildUrl({ tags: [' '], dockerfile: '', target: ' ', noCache: false, buildArgs: {} })).toBe('/api/build');
  });

  it('splits tags on commas and white space', () => {
    expect(parseTags(' a:1, b:2  c\nd,,a:1 ')).toEqual(['a:1', 'b:2', 'c', 'd']);
    expect(parseTags('')).toEqual([]);
  });

  it('turns build arg rows into an object, skipping empty keys and refusing duplicates', () => {
    expect(
      buildArgsFromRows([
        { key: ' A ', value: 'x y' },
        { key: '', value: 'ignored' },
        { key: 'B', value: '' },
      ]),
    ).toEqual({ A: 'x y', B: '' });
    expect(() =>
      buildArgsFromRows([
        { key: 'A', value: '1' },
        { key: 'A', value: '2' },
      ]),
    ).toThrow(/twice/);
    expect(() => buildArgsFromRows([{ key: 'A=1', value: '' }])).toThrow(/cannot contain/);
  });
});

describe('NDJSON reader', () => {
  it('yields each line as soon as it is complete, across chunk boundaries', async () => {
    expect(await all(chunked(['{"type":"st', 'ep","text":"a"}\n{"type":"cached"}\n\n{"type":', '"built","id":"x"}']))).toEqual([
      { type: 'step', text: 'a' },
      { type: 'cached' },
      { type: 'built', id: 'x' },
    ]);
  });

  it('keeps multi-byte characters that are split between chunks', async () => {
    const bytes = new TextEncoder().encode('{"type":"output","stream":"stdout","data":"grüße ✓"}\n');
    const cut = bytes.indexOf(0xc3) + 1; // in the middle of ü
    expect(await all(chunked([bytes.slice(0, cut), bytes.slice(cut)]))).toEqual([{ type: 'output', stream: 'stdout', data: 'grüße ✓' }]);
  });

  it('handles CRLF line ends and refuses a line that is not JSON', async () => {
    expect(await all(chunked(['{"type":"cached"}\r\n{"type":"cached"}\r\n']))).toEqual([{ type: 'cached' }, { type: 'cached' }]);
    await expect(all(chunked(['{"type":"cached"}\n<html>oops</html>\n']))).rejects.toThrow(/not JSON: <html>oops/);
  });
});

describe('event formatting and the log', () => {
  it('prints what docker build prints', () => {
    expect(formatEvent({ type: 'step', text: 'Step 1/3 : FROM busybox' })).toBe('Step 1/3 : FROM busybox\n');
    expect(formatEvent({ type: 'status', text: ' ---> 1a2b3c4d5e6f' })).toBe(' ---> 1a2b3c4d5e6f\n');
    expect(formatEvent({ type: 'cached' })).toBe(' ---> Using cache\n');
    expect(formatEvent({ type: 'output', stream: 'stdout', data: 'partial' })).toBe('partial');
    expect(formatEvent({ type: 'built', id: ID })).toBe('Successfully built ab12cd34ef56\n');
    expect(formatEvent({ type: 'tagged', ref: 'demo:1' })).toBe('Successfully tagged demo:1\n');
    expect(formatEvent({ type: 'error', message: 'RUN exited 1' })).toBe('ERROR: RUN exited 1\n');
  });

  it('tracks the step, cache hits, result and tags, and starts event lines on a fresh line', () => {
    let s = EMPTY_BUILD;
    const steps: string[] = [];
    for (const e of EVENTS) {
      s = applyEvent(s, e);
      if (s.step) steps.push(`${s.step.n}/${s.step.total}`);
    }
    expect(s.step).toEqual({ n: 3, total: 3 });
    expect(steps.at(0)).toBe('1/3');
    expect(s.cachedSteps).toBe(1);
    expect(s.id).toBe(ID);
    expect(s.tags).toEqual(['demo:1']);
    expect(s.error).toBeUndefined();
    expect(logText(s)).toBe(
      [
        'Step 1/3 : FROM busybox',
        ' ---> 1a2b3c4d5e6f',
        'Step 2/3 : RUN echo hi; echo oops >&2',
        'hi',
        'oops', // RUN output without a final newline: the next line still starts fresh
        ' ---> 2b3c4d5e6f7a',
        'Step 3/3 : CMD cat /x',
        ' ---> Using cache',
        ' ---> 3c4d5e6f7a8b',
        'Successfully built ab12cd34ef56',
        'Successfully tagged demo:1',
        '',
      ].join('\n'),
    );
    expect(s.segments.map((x) => x.kind)).toEqual(['step', 'status', 'step', 'stdout', 'stderr', 'status', 'step', 'cached', 'status', 'success']);
  });

  it('merges output chunks and drops the oldest text past the limit', () => {
    let segs = appendLog([], 'stdout', 'abc');
    segs = appendLog(segs, 'stdout', 'def\n');
    expect(segs).toEqual([{ kind: 'stdout', text: 'abcdef\n' }]);
    segs = appendLog(segs, 'step', 'Step 2/2 : X\n', 10);
    expect(segs.map((x) => x.text).join('')).toBe('Step 2/2 : X\n'.slice(-10));
    expect(segs.reduce((n, x) => n + x.text.length, 0)).toBe(10);
  });

  it('records an error event', () => {
    const s = applyEvent(applyEvent(EMPTY_BUILD, { type: 'output', stream: 'stderr', data: 'sh: nope: not found' }), {
      type: 'error',
      message: 'The command returned a non-zero code: 127',
    });
    expect(s.error).toBe('The command returned a non-zero code: 127');
    expect(logText(s)).toBe('sh: nope: not found\nERROR: The command returned a non-zero code: 127\n');
  });
});

/** a fetch that answers with the given status, content and body, recording the request */
function fakeFetch(status: number, body: string | ReadableStream<Uint8Array>, contentType = 'application/x-ndjson') {
  const calls: { url: string; init: RequestInit }[] = [];
  const f = (async (url: string, init: RequestInit) => {
    calls.push({ url, init });
    init.signal?.throwIfAborted();
    return new Response(body, { status, headers: { 'content-type': contentType } });
  }) as unknown as typeof fetch;
  return { f, calls };
}

describe('runBuild', () => {
  it('posts the body with its content type and the session cookie, and streams every event', async () => {
    const { f, calls } = fakeFetch(200, chunked(EVENTS.map((e) => `${JSON.stringify(e)}\n`)));
    const seen: BuildStreamEvent[] = [];
    const r = await runBuild({ url: '/api/build?t=demo%3A1', body: 'FROM busybox\n', contentType: 'text/plain', onEvent: (e) => seen.push(e), fetch: f });
    expect(r).toEqual({ id: ID, tags: ['demo:1'] });
    expect(seen).toEqual(EVENTS);
    expect(calls[0]!.url).toBe('/api/build?t=demo%3A1');
    expect(calls[0]!.init).toMatchObject({ method: 'POST', body: 'FROM busybox\n', credentials: 'same-origin', headers: { 'content-type': 'text/plain' } });
  });

  it('ignores unknown event types', async () => {
    const { f } = fakeFetch(200, '{"type":"progress","x":1}\n{"type":"built","id":"sha256:1"}\n');
    expect(await runBuild({ url: '/api/build', body: '', contentType: 'text/plain', onEvent: () => {}, fetch: f })).toEqual({ id: 'sha256:1', tags: [] });
  });

  it('rejects with the message of a refused request', async () => {
    const { f } = fakeFetch(403, JSON.stringify({ message: 'this needs the operator role' }), 'application/json');
    await expect(runBuild({ url: '/api/build', body: '', contentType: 'text/plain', onEvent: () => {}, fetch: f })).rejects.toThrow(
      'this needs the operator role',
    );
    const html = fakeFetch(404, '<!DOCTYPE html><html>not found</html>', 'text/html');
    await expect(runBuild({ url: '/api/build', body: '', contentType: 'text/plain', onEvent: () => {}, fetch: html.f })).rejects.toThrow(
      /^the agent answered HTTP 404$/,
    );
  });

  it('rejects with the build error after passing it on, and when the stream ends without a result', async () => {
    const { f } = fakeFetch(200, '{"type":"step","text":"Step 1/1 : FROM nope"}\n{"type":"error","message":"no such image"}\n');
    const seen: string[] = [];
    const err = await runBuild({ url: '/api/build', body: '', contentType: 'text/plain', onEvent: (e) => seen.push(e.type), fetch: f }).catch(
      (e: unknown) => e,
    );
    expect(err).toBeInstanceOf(BuildFailed);
    expect((err as Error).message).toBe('no such image');
    expect(seen).toEqual(['step', 'error']);
    const cut = fakeFetch(200, '{"type":"step","text":"Step 1/1 : FROM x"}\n');
    await expect(runBuild({ url: '/api/build', body: '', contentType: 'text/plain', onEvent: () => {}, fetch: cut.f })).rejects.toThrow(
      /ended without a result/,
    );
  });

  it('is cancelled by its signal mid-stream', async () => {
    const ac = new AbortController();
    let push!: ReadableStreamDefaultController<Uint8Array>;
    const body = new ReadableStream<Uint8Array>({ start: (c) => void (push = c) });
    const { f } = fakeFetch(200, body);
    const seen: string[] = [];
    const p = runBuild({
      url: '/api/build',
      body: '',
      contentType: 'text/plain',
      signal: ac.signal,
      fetch: f,
      onEvent: (e) => {
        seen.push(e.type);
        ac.abort();
        push.error(new DOMException('The operation was aborted.', 'AbortError'));
      },
    }).catch((e: unknown) => e);
    push.enqueue(new TextEncoder().encode('{"type":"step","text":"Step 1/2 : FROM x"}\n'));
    const err = await p;
    expect(isAbort(err)).toBe(true);
    expect(seen).toEqual(['step']);
  });
});
