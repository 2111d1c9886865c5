'use client';
import { useCallback, useEffect, useState } from 'react';
import { useMe } from '../../components/use-auth';
import { api, errorMessage } from '../../lib/trpc';

type Image = Awaited<ReturnType<ReturnType<typeof api>['images']['list']['query']>>[number];

export default function ImagesPage() {
  const me = useMe();
  const [images, setImages] = useState<Image[]>([]);
  const [ref, setRef] = useState('');
  const [progress, setProgress] = useState<Record<string, { status: string; current?: number; total?: number }>>({});
  const [error, setError] = useState('');
  const refresh = useCallback(() => api().images.list.query().then(setImages, (e) => setError(errorMessage(e))), []);
  useEffect(() => {
    if (me) void refresh();
  }, [me, refresh]);
  const pull = () => {
    setError('');
    setProgress({});
    api().images.pull.subscribe(
      { ref },
      {
        onData: (d) => {
          if ('image' in d) {
            setProgress({});
            void refresh();
          } else if (d.progress.id !== 'manifest') setProgress((p) => ({ ...p, [d.progress.id]: d.progress }));
        },
        onError: (e) => setError(errorMessage(e)),
      },
    );
  };
  return (
    <div className="space-y-3">
      {me?.role !== 'viewer' && (
        <form className="card flex gap-2" onSubmit={(e) => { e.preventDefault(); pull(); }}>
          <input className="input" placeholder="registry/repo:tag" aria-label="image reference" value={ref} onChange={(e) => setRef(e.target.value)} />
          <button className="btn-primary">Pull</button>
        </form>
      )}
      {Object.entries(progress).map(([id, p]) => (
        <div key={id} className="text-xs">
          <span className="font-mono">{id.slice(7, 19)}</span> {p.status}
          {p.total ? <progress className="ml-2 align-middle" max={p.total} value={p.current ?? (p.status === 'done' ? p.total : 0)} /> : null}
        </div>
      ))}
      {error && <p role="alert" className="text-sm text-rose-600">{error}</p>}
      <table className="card w-full text-left text-sm">
        <thead className="text-zinc-500"><tr><th>Repository:tag</th><th>Id</th><th>Size</th><th /></tr></thead>
        <tbody>
          {images.map((i) => (
            <tr key={i.id} className="border-t border-zinc-100 dark:border-zinc-800">
              <td className="py-2 font-mono text-xs">{i.repoTags.join(', ') || '<none>'}</td>
              <td className="font-mono text-xs">{i.id.slice(7, 19)}</td>
              <td>{(i.size / 1e6).toFixed(1)} MB</td>
              <td className="text-right">
                {me?.role !== 'viewer' && <button className="btn-danger" onClick={() => api().images.remove.mutate({ ref: i.id, force: true }).then(refresh, (e) => setError(errorMessage(e)))}>remove</button>}
              </td>
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}
