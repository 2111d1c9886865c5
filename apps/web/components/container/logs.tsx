'use client';
import { useEffect, useMemo, useRef, useState } from 'react';
import { errorMessage } from '../../lib/errors';
import { useTRPCClient } from '../../trpc/react';
import { useUrlFlag, useUrlState } from '../use-url-state';

type Entry = { stream: string; time: string; line: string };
const KEEP = 5000;
const TAILS = [100, 500, 1000, 5000, 0] as const;

/** the lines of a log chunk (the agent sends runs of lines with one timestamp), each with its newline */
const chunkLines = (text: string) => (text ? text.split(/(?<=\n)/) : []);

/**
 * Live logs: tail N, timestamps, search, stdout/stderr colours, download of the full log.
 * New lines always arrive; "follow" keeps the newest in view. Scrolling up to read unticks
 * it (the view stays put while lines arrive below) and offers a jump back to the latest.
 */
export function Logs({ id, name }: { id: string; name: string }) {
  // a stream, not a query: lines arrive as the container writes them
  const client = useTRPCClient();
  const [lines, setLines] = useState<Entry[]>([]);
  // the options are in the URL (?tail=1000&ts=1…): a refresh or the back button keeps them
  const [tailParam, setTailParam] = useUrlState('tail', '500');
  const tail = TAILS.includes(Number(tailParam) as (typeof TAILS)[number]) ? Number(tailParam) : 500;
  const [follow, setFollow] = useUrlFlag('follow', true);
  const [timestamps, setTimestamps] = useUrlFlag('ts', false);
  const [search, setSearch] = useUrlState('grep', '');
  const [stdout, setStdout] = useUrlFlag('stdout', true);
  const [stderr, setStderr] = useUrlFlag('stderr', true);
  const streams = useMemo(() => ({ stdout, stderr }), [stdout, stderr]);
  const [error, setError] = useState('');
  const [downloading, setDownloading] = useState(false);
  const box = useRef<HTMLPreElement>(null);

  useEffect(() => {
    setLines([]);
    setError('');
    // a chatty container sends thousands of lines a second: render once per frame, not per line
    let pending: Entry[] = [];
    let frame = 0;
    const flush = () => {
      frame = 0;
      const batch = pending;
      pending = [];
      setLines((l) => (l.length + batch.length > KEEP ? [...l, ...batch].slice(-KEEP) : [...l, ...batch]));
    };
    const sub = client.containers.logChunks.subscribe(
      { id, options: { follow: true, tail: tail || undefined } },
      {
        onData: (batch) => {
          for (const c of batch) for (const line of chunkLines(c.text)) pending.push({ stream: c.stream, time: c.time, line });
          frame ||= requestAnimationFrame(flush);
        },
        onError: (e) => setError(errorMessage(e)),
      },
    );
    return () => {
      cancelAnimationFrame(frame);
      sub.unsubscribe();
    };
  }, [client, id, tail]);

  const shown = useMemo(() => {
    const q = search.toLowerCase();
    return lines.filter((l) => streams[l.stream as 'stdout'] !== false && (!q || l.line.toLowerCase().includes(q)));
  }, [lines, search, streams]);

  // biome-ignore lint/correctness/useExhaustiveDependencies: new lines on screen are what re-scrolls, though the effect does not read them
  useEffect(() => {
    const el = box.current;
    if (el && follow) el.scrollTop = el.scrollHeight;
  }, [shown, follow]);

  /** the whole log (not just what is on screen), as the agent has it */
  const download = async () => {
    setDownloading(true);
    const all: string[] = [];
    try {
      await new Promise<void>((resolve, reject) => {
        const sub = client.containers.logChunks.subscribe(
          { id, options: { follow: false, timestamps: true } },
          {
            onData: (batch) => {
              for (const c of batch) for (const line of chunkLines(c.text)) all.push(`${c.time} ${c.stream} ${line}`);
            },
            onError: reject,
            onComplete: () => {
              sub.unsubscribe();
              resolve();
            },
          },
        );
      });
      const a = document.createElement('a');
      a.href = URL.createObjectURL(new Blob([all.join('')], { type: 'text/plain' }));
      a.download = `${name}.log`;
      a.click();
      URL.revokeObjectURL(a.href);
    } catch (e) {
      setError(errorMessage(e));
    } finally {
      setDownloading(false);
    }
  };

  const highlight = (text: string) => {
    if (!search) return text;
    const i = text.toLowerCase().indexOf(search.toLowerCase());
    return i < 0 ? (
      text
    ) : (
      <>
        {text.slice(0, i)}
        <mark>{text.slice(i, i + search.length)}</mark>
        {text.slice(i + search.length)}
      </>
    );
  };

  return (
    <div className="card space-y-2">
      <div className="flex flex-wrap items-center gap-3 text-xs">
        <input
          className="input w-48"
          type="search"
          placeholder="search logs"
          aria-label="search logs"
          value={search}
          onChange={(e) => setSearch(e.target.value)}
        />
        <label className="flex items-center gap-1">
          tail
          <select className="input w-24" aria-label="tail" value={tail} onChange={(e) => setTailParam(e.target.value)}>
            {TAILS.map((t) => (
              <option key={t} value={t}>
                {t || 'all'}
              </option>
            ))}
          </select>
        </label>
        <label className="flex items-center gap-1">
          <input type="checkbox" checked={follow} onChange={(e) => setFollow(e.target.checked)} /> follow
        </label>
        <label className="flex items-center gap-1">
          <input type="checkbox" checked={timestamps} onChange={(e) => setTimestamps(e.target.checked)} /> timestamps
        </label>
        <label className="flex items-center gap-1">
          <input type="checkbox" checked={streams.stdout} onChange={(e) => setStdout(e.target.checked)} /> stdout
        </label>
        <label className="flex items-center gap-1">
          <input type="checkbox" checked={streams.stderr} onChange={(e) => setStderr(e.target.checked)} />{' '}
          <span className="text-rose-700 dark:text-rose-400">stderr</span>
        </label>
        <span className="flex-1" />
        <span className="text-zinc-500" data-testid="log-count">
          {shown.length} lines
        </span>
        <button className="btn" onClick={() => setLines([])}>
          clear
        </button>
        <button className="btn" disabled={downloading} onClick={() => void download()}>
          {downloading ? 'downloading…' : 'download'}
        </button>
      </div>
      {error && (
        <p role="alert" className="text-sm text-rose-700 dark:text-rose-400">
          {error}
        </p>
      )}
      <div className="relative">
        <pre
          ref={box}
          className="h-[28rem] overflow-auto whitespace-pre-wrap break-all rounded bg-zinc-950 p-2 text-xs text-zinc-100"
          data-testid="logs"
          onScroll={(e) => {
            // reading further up pauses following; back at the bottom resumes it
            const el = e.currentTarget;
            setFollow(el.scrollHeight - el.scrollTop - el.clientHeight < 40);
          }}
        >
          {shown.map((l, i) => (
            <span key={i} className={l.stream === 'stderr' ? 'text-rose-400' : ''}>
              {timestamps && <span className="text-zinc-500">{l.time} </span>}
              {highlight(l.line)}
            </span>
          ))}
          {!shown.length && (
            <span className="text-zinc-400" data-testid="logs-empty">
              {lines.length ? 'No line matches.' : 'No output yet.'}
            </span>
          )}
        </pre>
        {!follow && (
          <button className="btn-primary absolute right-4 bottom-3 shadow-lg" onClick={() => setFollow(true)}>
            jump to latest ↓
          </button>
        )}
      </div>
    </div>
  );
}
