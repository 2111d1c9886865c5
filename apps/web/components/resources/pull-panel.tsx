'use client';
import { useEffect, useRef, useState } from 'react';
import { bytes } from '../../lib/format';
import { errorMessage } from '../../lib/errors';
import { useInvalidate, useTRPCClient } from '../../trpc/react';
import { toast } from '../toast';
import { ErrorAlert, type PullEvent } from './shared';

type Progress = Extract<PullEvent, { progress: unknown }>['progress'];

const STATUS_TEXT: Record<Progress['status'], string> = {
  resolving: 'Resolving',
  waiting: 'Waiting',
  downloading: 'Downloading',
  verifying: 'Verifying checksum',
  extracting: 'Extracting',
  done: 'Pull complete',
  exists: 'Already exists',
};

function layerFraction(p: Progress): number {
  if (p.status === 'done' || p.status === 'exists' || p.status === 'verifying' || p.status === 'extracting') return 1;
  return p.total ? Math.min(1, (p.current ?? 0) / p.total) : 0;
}

/**
 * `docker pull` in the browser: one progress bar per layer, an overall status line, errors
 * inline. A stream, not a mutation: the image lists are marked stale when it ends.
 */
export function PullPanel() {
  const client = useTRPCClient();
  const invalidate = useInvalidate();
  const [ref, setRef] = useState('');
  const [layers, setLayers] = useState<Record<string, Progress>>({});
  const [status, setStatus] = useState('');
  const [error, setError] = useState('');
  const [busy, setBusy] = useState(false);
  const sub = useRef<{ unsubscribe(): void } | undefined>(undefined);
  useEffect(() => () => sub.current?.unsubscribe(), []);

  const pull = () => {
    const target = ref.trim();
    if (!target) return;
    sub.current?.unsubscribe();
    setError('');
    setLayers({});
    setBusy(true);
    setStatus(`Pulling ${target}: resolving…`);
    sub.current = client.images.pull.subscribe(
      { ref: target },
      {
        onData: (d) => {
          if ('image' in d) {
            const digest = d.image.repoDigests.map((r) => r.slice(r.lastIndexOf('@') + 1)).at(-1) ?? d.image.manifestDigest;
            setStatus(`Pulled ${target} · Digest: ${digest || 'done'}`);
            toast(`Pulled ${target}`);
            setBusy(false);
            sub.current?.unsubscribe();
            void invalidate([['images'], ['system', 'info'], ['audit']]);
            return;
          }
          const p = d.progress;
          if (p.id === 'manifest' || p.id === 'config') {
            if (p.status === 'resolving') setStatus(`Pulling ${target}: resolving manifest…`);
            else if (p.id === 'config' && p.status === 'downloading') setStatus(`Pulling ${target}: fetching config…`);
            return;
          }
          setLayers((l) => ({ ...l, [p.id]: p }));
          setStatus((s) => (s.startsWith('Pulled') ? s : `Pulling ${target}: layers…`));
        },
        onError: (e) => {
          setError(errorMessage(e));
          setStatus(`Pull of ${target} failed`);
          toast(`Pull of ${target} failed: ${errorMessage(e)}`, 'error');
          setBusy(false);
        },
      },
    );
  };

  const rows = Object.values(layers);
  const total = rows.reduce((a, p) => a + (p.total ?? 0), 0);
  const done = rows.reduce((a, p) => a + layerFraction(p) * (p.total ?? 0), 0);

  return (
    <div className="card space-y-2">
      <form
        className="flex flex-wrap gap-2"
        onSubmit={(e) => {
          e.preventDefault();
          pull();
        }}
      >
        <input
          className="input min-w-[12rem] flex-1"
          placeholder="registry/repository:tag"
          aria-label="image to pull"
          value={ref}
          onChange={(e) => setRef(e.target.value)}
          required
        />
        <button className="btn-primary" disabled={busy || !ref.trim()}>
          Pull
        </button>
        {busy && (
          <button
            type="button"
            className="btn"
            onClick={() => {
              sub.current?.unsubscribe();
              setBusy(false);
              setStatus('Pull cancelled');
            }}
          >
            cancel
          </button>
        )}
      </form>
      {status && (
        <div className="space-y-1">
          <p className="break-all text-sm" data-testid="pull-status" aria-live="polite">
            {status}
          </p>
          {total > 0 && <progress className="h-2 w-full" aria-label="overall progress" max={total} value={done} />}
        </div>
      )}
      {rows.length > 0 && (
        <ul className="space-y-1 text-xs" aria-label="layers">
          {rows.map((p) => {
            const short = p.id.replace(/^sha256:/, '').slice(0, 12);
            const frac = layerFraction(p);
            return (
              <li key={p.id} data-testid={`layer-${short}`} className="grid grid-cols-[7rem_8rem_1fr_8rem] items-center gap-2">
                <span className="font-mono" title={p.id}>
                  {short}
                </span>
                <span className={p.status === 'done' || p.status === 'exists' ? 'text-emerald-700 dark:text-emerald-400' : ''}>{STATUS_TEXT[p.status]}</span>
                <progress className="h-2 w-full" aria-label={`layer ${short}`} max={1} value={frac} />
                <span className="text-right tabular-nums text-zinc-500">
                  {p.total ? `${bytes(p.status === 'downloading' ? (p.current ?? 0) : frac * p.total)} / ${bytes(p.total)}` : ''}
                </span>
              </li>
            );
          })}
        </ul>
      )}
      <ErrorAlert message={error} onClose={() => setError('')} />
    </div>
  );
}
