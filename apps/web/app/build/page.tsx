'use client';
import Link from 'next/link';
import { useCallback, useEffect, useLayoutEffect, useRef, useState, type KeyboardEvent } from 'react';
import { ErrorAlert } from '../../components/resources/shared';
import { useMe } from '../../components/use-auth';
import { bytes } from '../../lib/format';
import {
  applyEvent,
  BuildFailed,
  buildArgsFromRows,
  buildUrl,
  EMPTY_BUILD,
  isAbort,
  note,
  parseTags,
  runBuild,
  shortId,
  type BuildState,
  type LogKind,
} from '../../lib/build-stream';
import { useTitle } from '../../components/use-title';

type Source = 'dockerfile' | 'context';
type Phase = 'idle' | 'running' | 'done' | 'failed' | 'cancelled';

const DRAFT_KEY = 'skiff.build.dockerfile';
const INDENT = '    ';
const EXAMPLE = 'FROM busybox\nRUN echo hello > /hello\nCMD ["cat", "/hello"]\n';

const KIND_CLASS: Record<LogKind, string> = {
  step: 'font-semibold text-sky-700 dark:text-sky-400',
  status: 'text-zinc-500',
  cached: 'text-emerald-700 dark:text-emerald-400',
  stdout: '',
  stderr: 'text-amber-700 dark:text-amber-400',
  success: 'font-semibold text-emerald-700 dark:text-emerald-400',
  error: 'font-semibold text-rose-700 dark:text-rose-400',
  info: 'italic text-zinc-500',
};

/** `docker build` in the browser: a Dockerfile (empty context) or an uploaded context archive, with the output live. */
export default function BuildPage() {
  useTitle('Build');
  const me = useMe();
  const canOperate = !!me?.can.operate;
  const [source, setSource] = useState<Source>('dockerfile');
  const [dockerfile, setDockerfile] = useState('');
  const [archive, setArchive] = useState<File | null>(null);
  const [dockerfilePath, setDockerfilePath] = useState('');
  const [tags, setTags] = useState('');
  const [args, setArgs] = useState<{ key: string; value: string }[]>([]);
  const [target, setTarget] = useState('');
  const [noCache, setNoCache] = useState(false);
  const [phase, setPhase] = useState<Phase>('idle');
  const [build, setBuild] = useState<BuildState>(EMPTY_BUILD);
  const [error, setError] = useState('');

  // the draft survives a reload (saving runs first, so the empty initial value never overwrites it)
  const draftLoaded = useRef(false);
  useEffect(() => {
    if (draftLoaded.current) localStorage.setItem(DRAFT_KEY, dockerfile);
  }, [dockerfile]);
  useEffect(() => {
    setDockerfile(localStorage.getItem(DRAFT_KEY) ?? '');
    draftLoaded.current = true;
  }, []);

  // events land in a ref and reach React at most once a frame, so a chatty RUN stays smooth
  const live = useRef<BuildState>(EMPTY_BUILD);
  const frame = useRef<number | undefined>(undefined);
  const flush = useCallback(() => {
    frame.current = undefined;
    setBuild(live.current);
  }, []);
  const update = useCallback(
    (fn: (s: BuildState) => BuildState, now = false) => {
      live.current = fn(live.current);
      if (now) {
        if (frame.current !== undefined) cancelAnimationFrame(frame.current);
        flush();
      } else frame.current ??= requestAnimationFrame(flush);
    },
    [flush],
  );

  const abort = useRef<AbortController | null>(null);
  useEffect(
    () => () => {
      abort.current?.abort();
      if (frame.current !== undefined) cancelAnimationFrame(frame.current);
    },
    [],
  );

  // the log follows the output unless the reader scrolled up
  const pane = useRef<HTMLPreElement>(null);
  const stick = useRef(true);
  useLayoutEffect(() => {
    const p = pane.current;
    if (p && stick.current) p.scrollTop = p.scrollHeight;
  }, [build.segments]);

  const start = async () => {
    setError('');
    let buildArgs: Record<string, string>;
    try {
      buildArgs = buildArgsFromRows(args);
    } catch (e) {
      setError((e as Error).message);
      return;
    }
    const body = source === 'dockerfile' ? dockerfile : archive;
    if (!body) return;
    const url = buildUrl({ tags: parseTags(tags), dockerfile: source === 'context' ? dockerfilePath : undefined, target, noCache, buildArgs });
    const ac = new AbortController();
    abort.current = ac;
    stick.current = true;
    setPhase('running');
    update(() => note(EMPTY_BUILD, source === 'context' && archive ? `Sending build context ${archive.name} (${bytes(archive.size)})` : 'Sending Dockerfile (empty build context)'), true);
    try {
      await runBuild({
        url,
        body,
        contentType: source === 'dockerfile' ? 'text/plain' : 'application/x-tar',
        signal: ac.signal,
        onEvent: (e) => update((s) => applyEvent(s, e)),
      });
      update((s) => s, true);
      setPhase('done');
    } catch (e) {
      if (isAbort(e) || ac.signal.aborted) {
        update((s) => note(s, 'Build cancelled'), true);
        setPhase('cancelled');
      } else {
        // a failed build already has its ERROR line; a refusal or lost connection gets one here
        if (!(e instanceof BuildFailed)) update((s) => note(s, `ERROR: ${(e as Error).message}`, 'error'), true);
        else update((s) => s, true);
        setError((e as Error).message);
        setPhase('failed');
      }
    } finally {
      if (abort.current === ac) abort.current = null;
    }
  };

  const onTab = useTabIndent(setDockerfile);
  const running = phase === 'running';
  const ready = source === 'dockerfile' ? dockerfile.trim() !== '' : archive !== null;

  if (me && !canOperate) {
    return (
      <div className="space-y-3">
        <h1 className="text-lg font-semibold">Build</h1>
        <p className="card text-sm">Building images needs the operator role; you are signed in as a {me.role}.</p>
      </div>
    );
  }

  return (
    <div className="space-y-3">
      <div className="flex flex-wrap items-center gap-2">
        <h1 className="mr-2 text-lg font-semibold">Build</h1>
        <div className="flex gap-1" role="radiogroup" aria-label="build source">
          {(['dockerfile', 'context'] as const).map((s) => (
            <button key={s} type="button" role="radio" aria-checked={source === s} className={source === s ? 'btn-primary' : 'btn'} disabled={running} onClick={() => setSource(s)}>
              {s === 'dockerfile' ? 'Dockerfile' : 'Context archive'}
            </button>
          ))}
        </div>
      </div>
      <form
        className="card space-y-3"
        onSubmit={(e) => {
          e.preventDefault();
          if (!running) void start();
        }}
      >
        {source === 'dockerfile' ? (
          <label className="block">
            <span className="label">Dockerfile (the build context is empty: COPY and ADD of local files need a context archive) · Tab indents, Esc then Tab leaves the editor</span>
            <textarea
              className="input h-64 resize-y font-mono text-xs leading-5"
              aria-label="Dockerfile"
              spellCheck={false}
              autoCapitalize="off"
              autoCorrect="off"
              placeholder={EXAMPLE}
              value={dockerfile}
              onChange={(e) => setDockerfile(e.target.value)}
              onKeyDown={onTab}
            />
          </label>
        ) : (
          <div className="grid gap-3 md:grid-cols-2">
            <label className="block">
              <span className="label">Context archive (.tar, .tar.gz, .tgz, .tar.zst)</span>
              <input
                className="input"
                type="file"
                aria-label="context archive"
                accept=".tar,.tar.gz,.tgz,.tar.zst,.tzst,application/x-tar,application/gzip,application/zstd"
                onChange={(e) => setArchive(e.target.files?.[0] ?? null)}
              />
            </label>
            <label className="block">
              <span className="label">Dockerfile path in the archive</span>
              <input className="input font-mono" aria-label="Dockerfile path" placeholder="Dockerfile" value={dockerfilePath} onChange={(e) => setDockerfilePath(e.target.value)} />
            </label>
          </div>
        )}
        <div className="grid gap-3 md:grid-cols-2">
          <label className="block">
            <span className="label">Tags (comma or space separated)</span>
            <input className="input font-mono" aria-label="tags" placeholder="myapp:latest myapp:1.0" value={tags} onChange={(e) => setTags(e.target.value)} />
          </label>
          <label className="block">
            <span className="label">Target stage</span>
            <input className="input font-mono" aria-label="target" placeholder="last stage" value={target} onChange={(e) => setTarget(e.target.value)} />
          </label>
        </div>
        <fieldset className="space-y-1">
          <legend className="label">Build args</legend>
          {args.map((a, i) => (
            <div key={i} className="grid grid-cols-[1fr_2fr_auto] gap-2">
              <input className="input font-mono" placeholder="NAME" aria-label={`build arg name ${i + 1}`} value={a.key} onChange={(e) => setArgs(args.map((x, j) => (j === i ? { ...x, key: e.target.value } : x)))} />
              <input className="input font-mono" placeholder="value" aria-label={`build arg value ${i + 1}`} value={a.value} onChange={(e) => setArgs(args.map((x, j) => (j === i ? { ...x, value: e.target.value } : x)))} />
              <button type="button" className="btn" aria-label={`remove build arg ${i + 1}`} onClick={() => setArgs(args.filter((_, j) => j !== i))}>
                ×
              </button>
            </div>
          ))}
          <div>
            <button type="button" className="btn" onClick={() => setArgs([...args, { key: '', value: '' }])}>
              add build arg
            </button>
          </div>
        </fieldset>
        <div className="flex flex-wrap items-center gap-3">
          <label className="flex items-center gap-1 text-sm">
            <input type="checkbox" checked={noCache} onChange={(e) => setNoCache(e.target.checked)} /> no cache
          </label>
          <span className="flex-1" />
          {running && (
            <button type="button" className="btn" onClick={() => abort.current?.abort()}>
              Cancel
            </button>
          )}
          <button className="btn-primary" disabled={running || !ready}>
            {running ? 'Building…' : 'Build'}
          </button>
        </div>
      </form>
      <ErrorAlert message={error} onClose={() => setError('')} />
      {phase !== 'idle' && (
        <div className="card space-y-2">
          <div className="flex flex-wrap items-center gap-3 text-sm">
            <span data-testid="build-phase" className={phase === 'failed' ? 'text-rose-700 dark:text-rose-400' : phase === 'done' ? 'text-emerald-700 dark:text-emerald-400' : ''}>
              {phase === 'running' ? 'Building…' : phase === 'done' ? 'Build finished' : phase === 'failed' ? 'Build failed' : 'Build cancelled'}
            </span>
            {build.step && (
              <>
                <span data-testid="build-step" className="tabular-nums">
                  Step {build.step.n}/{build.step.total}
                </span>
                <progress className="h-2 w-40" aria-label="build progress" max={build.step.total} value={phase === 'done' ? build.step.total : build.step.n - 1} />
              </>
            )}
            {build.cachedSteps > 0 && <span className="text-xs text-zinc-500">{build.cachedSteps} from cache</span>}
          </div>
          {build.id && (
            <p role="status" data-testid="build-result" className="break-all rounded bg-emerald-50 p-2 text-sm text-emerald-800 dark:bg-emerald-950 dark:text-emerald-300">
              Image <span className="font-mono" title={build.id}>{build.id}</span>
              {build.tags.length ? ` tagged ${build.tags.join(', ')}` : ''}.{' '}
              <Link className="text-sky-700 underline dark:text-sky-400" href={`/images?q=${shortId(build.id)}`}>
                Show in images
              </Link>
            </p>
          )}
          <pre
            ref={pane}
            data-testid="build-log"
            role="log"
            aria-label="build output"
            className="h-96 overflow-auto whitespace-pre-wrap break-all rounded bg-zinc-50 p-2 font-mono text-xs leading-5 dark:bg-zinc-950"
            onScroll={(e) => {
              const p = e.currentTarget;
              stick.current = p.scrollHeight - p.scrollTop - p.clientHeight < 24;
            }}
          >
            {build.segments.map((s, i) => (
              <span key={i} className={KIND_CLASS[s.kind]}>
                {s.text}
              </span>
            ))}
          </pre>
        </div>
      )}
    </div>
  );
}

/**
 * Tab in the editor inserts spaces (on every selected line with a selection spanning
 * lines; Shift+Tab removes them). Esc first lets the next Tab move focus as usual.
 */
function useTabIndent(set: (v: string) => void) {
  const escaped = useRef(false);
  return useCallback(
    (e: KeyboardEvent<HTMLTextAreaElement>) => {
      if (e.key === 'Escape') {
        escaped.current = true;
        return;
      }
      if (e.key !== 'Tab' || escaped.current || e.ctrlKey || e.altKey || e.metaKey) {
        escaped.current = false;
        return;
      }
      e.preventDefault();
      const t = e.currentTarget;
      const { value, selectionStart: a, selectionEnd: b } = t;
      const lineStart = value.lastIndexOf('\n', a - 1) + 1;
      let next: string;
      let selA: number;
      let selB: number;
      if (!e.shiftKey && !value.slice(a, b).includes('\n')) {
        next = value.slice(0, a) + INDENT + value.slice(b);
        selA = selB = a + INDENT.length;
      } else {
        const block = value.slice(lineStart, b);
        const lines = block.split('\n');
        const changed = lines.map((l) => (e.shiftKey ? l.replace(new RegExp(`^ {1,${INDENT.length}}`), '') : INDENT + l));
        const first = changed[0]!.length - lines[0]!.length;
        next = value.slice(0, lineStart) + changed.join('\n') + value.slice(b);
        selA = Math.max(lineStart, a + first);
        selB = b + (changed.join('\n').length - block.length);
      }
      set(next);
      requestAnimationFrame(() => t.setSelectionRange(selA, selB));
    },
    [set],
  );
}
