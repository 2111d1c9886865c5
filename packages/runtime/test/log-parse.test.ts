import { describe, expect, it } from 'vitest';
import { chunkEntries, parseLogChunks, parseLogLines } from '../src/container/logs/log-parse.js';
import type { LogChunk, LogEntry } from '../src/types.js';
import { TRICKY_LOG_TEXTS } from '@skiff/test-fixtures';

const TIME = '2026-12-04T14:08:17.123456789Z';
const entry = (log: string, stream = 'stdout') => JSON.stringify({ log, stream, time: TIME });

describe('json-file line parser', () => {
  it('gives what JSON.parse gives, for plain, escaped and tricky text', () => {
    const texts = TRICKY_LOG_TEXTS;
    const lines = texts.map((t, i) => entry(t, i % 3 ? 'stdout' : 'stderr'));
    const out: LogEntry[] = [];
    parseLogLines(lines.join('\n') + '\n', out);
    expect(out).toEqual(texts.map((t, i) => ({ stream: i % 3 ? 'stdout' : 'stderr', time: TIME, line: t })));
  });

  it('takes other key orders and skips what is not a log entry', () => {
    const out: LogEntry[] = [];
    const text = [
      JSON.stringify({ stream: 'stderr', time: TIME, log: 'reordered\n' }),
      '{"log":"torn', // a crashed shim's last line
      '{"log":"x","stream":"stdin","time":"t"}', // not a stream
      'garbage',
      entry('ok\n'),
    ].join('\n');
    parseLogLines(text, out);
    expect(out.map((e) => e.line)).toEqual(['reordered\n', 'ok\n']);
    expect(out[0]!.stream).toBe('stderr');
  });

  it('filters with the keep function', () => {
    const out: LogEntry[] = [];
    parseLogLines([entry('a\n', 'stdout'), entry('b\n', 'stderr')].join('\n'), out, (stream) => stream === 'stderr');
    expect(out.map((e) => e.line)).toEqual(['b\n']);
  });
});

describe('log chunks', () => {
  it('merge lines with one stream and time, keep partial lines apart, and give the entries back', () => {
    const T2 = '2026-12-04T14:08:18.000000001Z';
    const raw = [
      { log: 'a\n', stream: 'stdout', time: TIME },
      { log: 'b\n', stream: 'stdout', time: TIME },
      { log: 'c\n', stream: 'stderr', time: TIME },
      { log: 'part', stream: 'stderr', time: TIME }, // a split long line: no newline
      { log: 'rest\n', stream: 'stderr', time: TIME },
      { log: 'd\r\n', stream: 'stderr', time: T2 },
      { log: '\n', stream: 'stderr', time: T2 },
    ];
    const chunks: LogChunk[] = [];
    parseLogChunks(raw.map((r) => JSON.stringify(r)).join('\n') + '\n', chunks);
    expect(chunks).toEqual([
      { stream: 'stdout', time: TIME, text: 'a\nb\n' },
      { stream: 'stderr', time: TIME, text: 'c\npart' },
      { stream: 'stderr', time: TIME, text: 'rest\n' },
      { stream: 'stderr', time: T2, text: 'd\r\n\n' },
    ]);
    expect(chunks.flatMap(chunkEntries)).toEqual(raw.map((r) => ({ stream: r.stream, time: r.time, line: r.log })));
  });
});
