import { describe, expect, it } from 'vitest';
import { encodeLogChunks, encodeLogLines } from '../src/container/logs/log-frames.js';
import { parseLogChunks } from '../src/container/logs/log-parse.js';
import type { LogChunk } from '../src/types.js';
import { TRICKY_LOG_TEXTS } from '@skiff/test-fixtures';

const TIME = '2026-12-04T14:08:17.123456789Z';
const T2 = '2026-12-04T14:08:18.500000000Z';
const entry = (log: string, stream = 'stdout', time = TIME) => JSON.stringify({ log, stream, time });

/** a multiplexed stream as (stream, bytes) runs, neighbours of one stream merged (frame boundaries carry no meaning) */
function demux(buf: Buffer): { stream: number; text: string }[] {
  const runs: { stream: number; bytes: Buffer[] }[] = [];
  for (let off = 0; off < buf.length; ) {
    const stream = buf[off]!;
    const len = buf.readUInt32BE(off + 4);
    expect(buf.subarray(off + 1, off + 4)).toEqual(Buffer.alloc(3));
    const payload = buf.subarray(off + 8, off + 8 + len);
    const last = runs[runs.length - 1];
    if (last?.stream === stream) last.bytes.push(payload);
    else runs.push({ stream, bytes: [payload] });
    off += 8 + len;
  }
  return runs.map((r) => ({ stream: r.stream, text: Buffer.concat(r.bytes).toString('utf8') }));
}

/** what the JavaScript reader makes of the same lines, as frames */
function viaJs(text: string, opts: { timestamps?: boolean; raw?: boolean; keep?: (s: string, t: string) => boolean } = {}): Buffer {
  const chunks: LogChunk[] = [];
  parseLogChunks(text, chunks, opts.keep);
  return encodeLogChunks(chunks, opts);
}

function native(text: string, opts: Parameters<typeof encodeLogLines>[3] = {}): Buffer {
  // the lines sit inside a larger buffer, as they do in the follower's read buffer
  const buf = Buffer.concat([Buffer.from('{"log":"before"}\n'), Buffer.from(text), Buffer.from('{"log":"after"}\n')]);
  const start = 17;
  return encodeLogLines(buf, start, start + Buffer.byteLength(text), opts) ?? Buffer.alloc(0);
}

describe('log frames (addon)', () => {
  it('give the bytes the JavaScript reader gives, for plain, escaped and tricky text on both streams', () => {
    const text = TRICKY_LOG_TEXTS.map((t, i) => entry(t, i % 3 ? 'stdout' : 'stderr')).join('\n') + '\n';
    expect(demux(native(text))).toEqual(demux(viaJs(text)));
    expect(
      demux(native(text))
        .map((r) => r.text)
        .join(''),
    ).toBe(TRICKY_LOG_TEXTS.join(''));
  });

  it('decode \\u escapes, surrogate pairs and lone surrogates as JSON.parse and UTF-8 do', () => {
    const raw = [
      '{"log":"\\u00e9\\u2713\\ud83d\\ude80\\n","stream":"stdout","time":"' + TIME + '"}',
      '{"log":"lone \\ud800 \\udc00 x\\n","stream":"stdout","time":"' + TIME + '"}',
    ];
    const want = raw.map((l) => (JSON.parse(l) as { log: string }).log).join('');
    expect(Buffer.from(want)).toEqual(native(raw.join('\n') + '\n').subarray(8));
  });

  it('frame consecutive lines of one stream together, with the right lengths', () => {
    const text = [entry('a\n'), entry('b\n'), entry('c\n', 'stderr'), entry('d\n')].join('\n') + '\n';
    const out = native(text);
    expect([...out.subarray(0, 8)]).toEqual([1, 0, 0, 0, 0, 0, 0, 4]);
    expect(out.subarray(8, 12).toString()).toBe('a\nb\n');
    expect([...out.subarray(12, 20)]).toEqual([2, 0, 0, 0, 0, 0, 0, 2]);
    expect(out.length).toBe(8 + 4 + 8 + 2 + 8 + 2);
  });

  it('skip torn lines, other streams, broken escapes and empty lines; a whole batch of them gives nothing', () => {
    const junk = [
      '{"log":"torn',
      '{"log":"x","stream":"stdin","time":"t"}',
      'garbage',
      '',
      '{"log":"bad \\q escape","stream":"stdout","time":"' + TIME + '"}',
      '{"log":"raw " quote","stream":"stdout","time":"' + TIME + '"}',
      '{"log":"odd \\","stream":"stdout","time":"' + TIME + '"}',
    ];
    expect(native(junk.join('\n') + '\n').length).toBe(0);
    expect(encodeLogLines(Buffer.from(junk.join('\n')), 0, Buffer.byteLength(junk.join('\n')), {})).toBeUndefined();
    const mixed = [entry('ok 1\n'), ...junk, entry('ok 2\n', 'stderr')].join('\n') + '\n';
    expect(demux(native(mixed))).toEqual([
      { stream: 1, text: 'ok 1\n' },
      { stream: 2, text: 'ok 2\n' },
    ]);
  });

  it('keep only the asked-for stream, and put timestamps in front of every line', () => {
    // a line longer than 16 KiB is split by the shim into entries without a newline; each entry gets its time, as in Docker
    const text = [entry('a', 'stdout'), entry('b\n', 'stdout'), entry('e1\n', 'stderr', T2), entry('c\n', 'stdout', T2)].join('\n') + '\n';
    expect(demux(native(text, { stderr: false }))).toEqual([{ stream: 1, text: 'ab\nc\n' }]);
    expect(demux(native(text, { stdout: false }))).toEqual([{ stream: 2, text: 'e1\n' }]);
    expect(demux(native(text, { timestamps: true }))).toEqual(demux(viaJs(text, { timestamps: true })));
    expect(demux(native(text, { timestamps: true }))[2]).toEqual({ stream: 1, text: `${T2} c\n` });
  });

  it('write raw bytes without headers for TTY containers', () => {
    const text = [entry('$ ls\r\n'), entry('bin\r\n', 'stdout', T2)].join('\n') + '\n';
    expect(native(text, { raw: true }).toString()).toBe('$ ls\r\nbin\r\n');
    expect(native(text, { raw: true, timestamps: true })).toEqual(viaJs(text, { raw: true, timestamps: true }));
  });

  it('filter by since and until in unix seconds, with offsets and without fractions', () => {
    const t = (iso: string) => Date.parse(iso) / 1000;
    const text =
      [
        entry('early\n', 'stdout', '2026-12-04T14:08:16Z'),
        entry('mid\n', 'stdout', '2026-12-04T14:08:17.5Z'),
        entry('offset\n', 'stdout', '2026-12-04T15:08:18+01:00'), // 14:08:18Z
        entry('late\n', 'stdout', '2026-12-04T14:08:19.001Z'),
        entry('unparsed time is kept\n', 'stdout', 'yesterday'),
      ].join('\n') + '\n';
    const kept = (since?: number, until?: number) =>
      demux(native(text, { since, until }))
        .map((r) => r.text)
        .join('');
    expect(kept(t('2026-12-04T14:08:17Z'))).toBe('mid\noffset\nlate\nunparsed time is kept\n');
    expect(kept(undefined, t('2026-12-04T14:08:18Z'))).toBe('early\nmid\noffset\nunparsed time is kept\n');
    expect(kept(t('2026-12-04T14:08:17.6Z'), t('2026-12-04T14:08:19Z'))).toBe('offset\nunparsed time is kept\n');
  });

  it('never write more than they read, even for lines that are all escapes', () => {
    const worst = [entry('\n'), entry(''), entry('\u0001'.repeat(100) + '\n', 'stderr')].join('\n') + '\n';
    for (const opts of [{}, { timestamps: true }, { raw: true, timestamps: true }])
      expect(native(worst, opts).length).toBeLessThanOrEqual(Buffer.byteLength(worst));
    expect(() => encodeLogLines(Buffer.from('x'), 0, 2, {})).toThrow(/range/);
  });
});
