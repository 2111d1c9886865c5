'use client';
import { useMutation } from '@tanstack/react-query';
import Link from 'next/link';
import { useEffect, useRef, useState } from 'react';
import { errorMessage } from '../../lib/errors';
import { useTRPC } from '../../trpc/react';
import { ErrorAlert } from '../resources/shared';

/** the changes textarea: one Dockerfile instruction per line, blank lines dropped */
export const changeLines = (text: string) =>
  text
    .split('\n')
    .map((l) => l.trim())
    .filter(Boolean);

/**
 * `docker commit` in a modal: repository:tag, message (-m), author (-a), changes (-c, one
 * instruction per line) and pause; shows the new image id with a link to the Images page.
 */
export function CommitDialog({ containerId, containerName, onClose }: { containerId: string; containerName: string; onClose: () => void }) {
  const dialog = useRef<HTMLDialogElement>(null);
  const [ref, setRef] = useState('');
  const [message, setMessage] = useState('');
  const [author, setAuthor] = useState('');
  const [changes, setChanges] = useState('');
  const [pause, setPause] = useState(true);
  const [result, setResult] = useState<{ id: string; ref?: string } | null>(null);
  const commit = useMutation(useTRPC().containers.commit.mutationOptions());
  const busy = commit.isPending;
  const error = commit.error ? errorMessage(commit.error) : '';

  useEffect(() => {
    const d = dialog.current;
    if (d && !d.open) d.showModal();
  }, []);

  const submit = () => {
    setResult(null);
    const lines = changeLines(changes);
    const target = ref.trim() || undefined;
    commit.mutate(
      {
        id: containerId,
        ref: target,
        message: message.trim() || undefined,
        author: author.trim() || undefined,
        changes: lines.length ? lines : undefined,
        pause,
      },
      { onSuccess: (r) => setResult({ id: r.id, ref: target }) },
    );
  };

  const short = result?.id.replace(/^sha256:/, '').slice(0, 12);
  return (
    <dialog
      ref={dialog}
      aria-labelledby="commit-title"
      className="m-auto w-[min(36rem,calc(100vw-2rem))] rounded-lg border border-zinc-200 bg-white p-0 text-zinc-900 shadow-xl backdrop:bg-black/40 dark:border-zinc-800 dark:bg-zinc-900 dark:text-zinc-100"
      onClose={onClose}
    >
      <form
        className="space-y-3 p-4"
        onSubmit={(e) => {
          e.preventDefault();
          submit();
        }}
      >
        <h2 id="commit-title" className="text-base font-semibold">
          Commit {containerName} as an image
        </h2>
        <label className="block">
          <span className="label">Repository:tag (optional; without it the image is untagged)</span>
          <input
            className="input font-mono"
            aria-label="repository:tag"
            placeholder="myapp:snapshot"
            value={ref}
            onChange={(e) => setRef(e.target.value)}
            autoFocus
          />
        </label>
        <div className="grid gap-3 sm:grid-cols-2">
          <label className="block">
            <span className="label">Message (-m)</span>
            <input className="input" aria-label="commit message" value={message} onChange={(e) => setMessage(e.target.value)} />
          </label>
          <label className="block">
            <span className="label">Author (-a)</span>
            <input className="input" aria-label="author" placeholder="Jane Doe <jane@example.com>" value={author} onChange={(e) => setAuthor(e.target.value)} />
          </label>
        </div>
        <label className="block">
          <span className="label">Changes (-c): one Dockerfile instruction per line</span>
          <textarea
            className="input h-24 font-mono text-xs"
            aria-label="changes"
            placeholder={'CMD ["sh"]\nENV MODE=prod\nEXPOSE 8080'}
            spellCheck={false}
            value={changes}
            onChange={(e) => setChanges(e.target.value)}
          />
        </label>
        <label className="flex items-center gap-2 text-sm">
          <input type="checkbox" checked={pause} onChange={(e) => setPause(e.target.checked)} />
          Pause the container while committing
        </label>
        <ErrorAlert message={error} onClose={() => commit.reset()} />
        {result && (
          <p
            role="status"
            data-testid="commit-result"
            className="break-all rounded bg-emerald-50 p-2 text-sm text-emerald-800 dark:bg-emerald-950 dark:text-emerald-300"
          >
            Committed{' '}
            <span className="font-mono" title={result.id}>
              {result.id}
            </span>
            {result.ref ? ` as ${result.ref}` : ''}.{' '}
            <Link className="text-sky-700 underline dark:text-sky-400" href={`/images?q=${short}`}>
              Show in images
            </Link>
          </p>
        )}
        <div className="flex justify-end gap-2">
          <button type="button" className="btn" onClick={() => dialog.current?.close()}>
            {result ? 'Close' : 'Cancel'}
          </button>
          <button className="btn-primary" disabled={busy}>
            {busy ? 'Committing…' : 'Commit'}
          </button>
        </div>
      </form>
    </dialog>
  );
}
