'use client';
import { useMutation, useQuery } from '@tanstack/react-query';
import { Fragment, useState } from 'react';
import { NetworkInspectView } from '../../components/resources/network-inspect';
import { ErrorAlert, Notice, parseLabels, ROW, TABLE, THEAD, type NetworkRow } from '../../components/resources/shared';
import { useAction } from '../../components/use-action';
import { useMe } from '../../components/use-auth';
import { errorMessage } from '../../lib/errors';
import { useTRPC } from '../../trpc/react';
import { useConfirm } from '../../components/confirm-dialog';
import { useTitle } from '../../components/use-title';

const BUILTIN = new Set(['bridge', 'host', 'none']);

export default function NetworksPage() {
  useTitle('Networks');
  const me = useMe();
  const trpc = useTRPC();
  const canOperate = !!me?.can.operate;
  // kept current by the event stream (trpc/live-events.tsx)
  const networksQ = useQuery(trpc.networks.list.queryOptions(undefined, { enabled: !!me }));
  const containersQ = useQuery(trpc.containers.list.queryOptions({ all: true }, { enabled: !!me }));
  const networks = networksQ.data ?? [];
  const containers = containersQ.data ?? [];
  const [name, setName] = useState('');
  const [subnet, setSubnet] = useState('');
  const [gateway, setGateway] = useState('');
  const [labels, setLabels] = useState('');
  const [internal, setInternal] = useState(false);
  const [expanded, setExpanded] = useState<string | null>(null);
  const action = useAction();
  const confirm = useConfirm();
  const { notice, busy } = action;
  const failed = networksQ.error ?? containersQ.error;
  const error = action.error || (failed ? errorMessage(failed) : '');
  const createNetwork = useMutation(trpc.networks.create.mutationOptions());
  const pruneNetworks = useMutation(trpc.networks.prune.mutationOptions());
  const removeNetwork = useMutation(trpc.networks.remove.mutationOptions());

  const create = () =>
    action.run(
      async () => {
        const n = await createNetwork.mutateAsync({
          name: name.trim(),
          subnet: subnet.trim() || undefined,
          gateway: gateway.trim() || undefined,
          internal,
          labels: parseLabels(labels),
        });
        setName('');
        setSubnet('');
        setGateway('');
        setLabels('');
        setInternal(false);
        return n;
      },
      (n) => `Created network ${n.name}`,
    );

  const prune = () =>
    void confirm.ask({
      title: 'Remove unused networks?',
      body: 'Every user-defined network no container is connected to is removed.',
      confirm: 'Remove unused networks',
      run: () =>
        action.run(
          () => pruneNetworks.mutateAsync(),
          (removed) => (removed.length ? `Pruned ${removed.length} network(s): ${removed.join(', ')}` : 'No unused network to prune'),
        ),
    });
  const remove = (n: NetworkRow) =>
    void confirm.ask({
      title: `Remove network ${n.name}?`,
      body: n.containers ? `${n.containers} container(s) are connected to it; the agent refuses while they are.` : 'Its bridge and address range are freed.',
      confirm: `Remove network ${n.name}`,
      run: () => action.run(() => removeNetwork.mutateAsync({ id: n.id }), `Removed network ${n.name}`),
    });

  const removable = (n: NetworkRow) => !n.builtin && !n.isDefault && !BUILTIN.has(n.name);

  return (
    <div className="space-y-3">
      {confirm.dialog}
      <div className="flex flex-wrap items-center gap-2">
        <h1 className="mr-2 text-lg font-semibold">Networks</h1>
        <span className="flex-1" />
        {canOperate && (
          <button className="btn" disabled={busy} onClick={prune}>
            Prune unused
          </button>
        )}
      </div>
      {canOperate && (
        <form
          className="card flex flex-wrap items-center gap-2"
          onSubmit={(e) => {
            e.preventDefault();
            void create();
          }}
        >
          <input className="input max-w-[12rem]" placeholder="name" aria-label="network name" value={name} onChange={(e) => setName(e.target.value)} required />
          <input
            className="input max-w-[12rem]"
            placeholder="subnet (optional) 10.10.0.0/24"
            aria-label="subnet"
            value={subnet}
            onChange={(e) => setSubnet(e.target.value)}
          />
          <input
            className="input max-w-[10rem]"
            placeholder="gateway (optional)"
            aria-label="gateway"
            value={gateway}
            onChange={(e) => setGateway(e.target.value)}
          />
          <input
            className="input max-w-[14rem]"
            placeholder="labels: k=v, k2=v2"
            aria-label="network labels"
            value={labels}
            onChange={(e) => setLabels(e.target.value)}
          />
          <label className="text-sm">
            <input type="checkbox" checked={internal} onChange={(e) => setInternal(e.target.checked)} /> internal
          </label>
          <button className="btn-primary" disabled={busy}>
            Create
          </button>
        </form>
      )}
      <ErrorAlert message={error} onClose={() => action.setError('')} />
      <Notice message={notice} testId="networks-notice" />
      <div className="card overflow-x-auto p-0">
        <table className={TABLE}>
          <thead className={THEAD}>
            <tr>
              <th className="px-3 py-2 font-medium">Name</th>
              <th className="px-2 font-medium">Driver</th>
              <th className="px-2 font-medium">Subnet</th>
              <th className="px-2 font-medium">Gateway</th>
              <th className="px-2 font-medium">Containers</th>
              <th className="px-3" />
            </tr>
          </thead>
          <tbody>
            {networks.map((n) => {
              const open = expanded === n.id;
              return (
                <Fragment key={n.id}>
                  <tr className={ROW} data-testid={`network-${n.name}`}>
                    <td className="px-3 py-2">
                      {n.name}
                      {n.internal ? <span className="ml-1 text-xs text-zinc-500">(internal)</span> : null}
                      {!removable(n) ? <span className="ml-1 text-xs text-zinc-500">(built-in)</span> : null}
                    </td>
                    <td className="px-2">{n.driver}</td>
                    <td className="px-2 font-mono text-xs">{n.subnet ?? '—'}</td>
                    <td className="px-2 font-mono text-xs">{n.gateway ?? '—'}</td>
                    <td className="px-2 tabular-nums" data-testid="network-containers">
                      {n.containers}
                    </td>
                    <td className="space-x-1 whitespace-nowrap px-3 py-1 text-right">
                      <button className="btn" aria-expanded={open} onClick={() => setExpanded(open ? null : n.id)}>
                        inspect
                      </button>
                      {canOperate && removable(n) && (
                        <button className="btn-danger" disabled={busy} onClick={() => remove(n)}>
                          remove
                        </button>
                      )}
                    </td>
                  </tr>
                  {open && (
                    <tr>
                      <td colSpan={6} className="bg-zinc-50 px-3 py-2 dark:bg-zinc-950">
                        <NetworkInspectView network={n} containers={containers} canOperate={canOperate} />
                      </td>
                    </tr>
                  )}
                </Fragment>
              );
            })}
          </tbody>
        </table>
      </div>
    </div>
  );
}
