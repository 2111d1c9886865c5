'use client';
import { useCallback, useEffect, useState } from 'react';
import { useMe } from '../../components/use-auth';
import { api, errorMessage } from '../../lib/trpc';

type Network = Awaited<ReturnType<ReturnType<typeof api>['networks']['list']['query']>>[number];

export default function NetworksPage() {
  const me = useMe();
  const [networks, setNetworks] = useState<Network[]>([]);
  const [name, setName] = useState('');
  const [subnet, setSubnet] = useState('');
  const [internal, setInternal] = useState(false);
  const [error, setError] = useState('');
  const refresh = useCallback(() => api().networks.list.query().then(setNetworks, (e) => setError(errorMessage(e))), []);
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
        <form className="card flex flex-wrap items-center gap-2" onSubmit={(e) => { e.preventDefault(); act(() => api().networks.create.mutate({ name, subnet: subnet || undefined, internal })); }}>
          <input className="input max-w-xs" placeholder="network name" aria-label="network name" value={name} onChange={(e) => setName(e.target.value)} required />
          <input className="input max-w-xs" placeholder="subnet (optional) 10.10.0.0/24" aria-label="subnet" value={subnet} onChange={(e) => setSubnet(e.target.value)} />
          <label className="text-sm"><input type="checkbox" checked={internal} onChange={(e) => setInternal(e.target.checked)} /> internal</label>
          <button className="btn-primary">Create</button>
        </form>
      )}
      {error && <p role="alert" className="text-sm text-rose-600">{error}</p>}
      <table className="card w-full text-left text-sm">
        <thead className="text-zinc-500"><tr><th>Name</th><th>Driver</th><th>Subnet</th><th>Gateway</th><th /></tr></thead>
        <tbody>
          {networks.map((n) => (
            <tr key={n.id} className="border-t border-zinc-100 dark:border-zinc-800">
              <td className="py-2">{n.name}{n.internal ? ' (internal)' : ''}</td>
              <td>{n.driver}</td>
              <td className="font-mono text-xs">{n.subnet ?? '—'}</td>
              <td className="font-mono text-xs">{n.gateway ?? '—'}</td>
              <td className="text-right">{canOperate && !n.builtin && !n.isDefault && <button className="btn-danger" onClick={() => act(() => api().networks.remove.mutate({ id: n.id }))}>remove</button>}</td>
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}
