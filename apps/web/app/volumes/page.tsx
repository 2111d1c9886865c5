'use client';
import { useCallback, useEffect, useState } from 'react';
import { useMe } from '../../components/use-auth';
import { api, errorMessage } from '../../lib/trpc';

type Volume = Awaited<ReturnType<ReturnType<typeof api>['volumes']['list']['query']>>[number];

export default function VolumesPage() {
  const me = useMe();
  const [volumes, setVolumes] = useState<Volume[]>([]);
  const [name, setName] = useState('');
  const [error, setError] = useState('');
  const refresh = useCallback(() => api().volumes.list.query().then(setVolumes, (e) => setError(errorMessage(e))), []);
  useEffect(() => {
    if (me) void refresh();
  }, [me, refresh]);
  const act = (fn: () => Promise<unknown>) => {
    setError('');
    fn().then(refresh, (e) => setError(errorMessage(e)));
  };
  const canOperate = me?.role === 'operator' || me?.role === 'admin';
  return (
    <div className="space-y-3">
      {canOperate && (
        <form className="card flex gap-2" onSubmit={(e) => { e.preventDefault(); act(() => api().volumes.create.mutate({ name: name || undefined })); setName(''); }}>
          <input className="input" placeholder="volume name" aria-label="volume name" value={name} onChange={(e) => setName(e.target.value)} />
          <button className="btn-primary">Create</button>
          <button type="button" className="btn" onClick={() => act(() => api().volumes.prune.mutate({}))}>Prune unused</button>
        </form>
      )}
      {error && <p role="alert" className="text-sm text-rose-600">{error}</p>}
      <table className="card w-full text-left text-sm">
        <thead className="text-zinc-500"><tr><th>Name</th><th>Mountpoint</th><th>In use by</th><th /></tr></thead>
        <tbody>
          {volumes.map((v) => (
            <tr key={v.name} className="border-t border-zinc-100 dark:border-zinc-800">
              <td className="py-2 font-mono text-xs">{v.name.length > 30 ? `${v.name.slice(0, 12)}…` : v.name}</td>
              <td className="font-mono text-xs">{v.mountpoint}</td>
              <td>{v.usedBy.length}</td>
              <td className="text-right">{canOperate && <button className="btn-danger" onClick={() => act(() => api().volumes.remove.mutate({ name: v.name }))}>remove</button>}</td>
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}
