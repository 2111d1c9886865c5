'use client';
import { useMutation, useQueries, useQuery } from '@tanstack/react-query';
import Link from 'next/link';
import { useState } from 'react';
import { ago } from '../../lib/format';
import { errorMessage } from '../../lib/errors';
import { useTRPC } from '../../trpc/react';
import { useAction } from '../use-action';
import { ErrorAlert, Labels, type ContainerRow, type NetworkRow } from './shared';

/** docker network inspect, plus connecting and disconnecting containers (kept current by the event stream) */
export function NetworkInspectView({ network, containers, canOperate }: { network: NetworkRow; containers: ContainerRow[]; canOperate: boolean }) {
  const trpc = useTRPC();
  const inspect = useQuery(trpc.networks.inspect.queryOptions({ id: network.id }));
  const info = inspect.data;
  const action = useAction();
  const { busy } = action;
  const error = action.error || (inspect.error ? errorMessage(inspect.error) : '');
  const connect = useMutation(trpc.networks.connect.mutationOptions());
  const disconnect = useMutation(trpc.networks.disconnect.mutationOptions());
  const [pick, setPick] = useState('');
  const [ip, setIp] = useState('');

  const endpoints = Object.entries(info?.Containers ?? {}).sort(([, a], [, b]) => a.Name.localeCompare(b.Name));
  // Docker's network inspect has no aliases: each container's inspect has its own on this network
  const endpointInspects = useQueries({ queries: endpoints.map(([id]) => trpc.containers.inspect.queryOptions({ id })) });
  const aliasesOf = (i: number) => endpointInspects[i]?.data?.NetworkSettings.Networks[network.name]?.Aliases ?? [];
  const attached = new Set(endpoints.map(([id]) => id));
  const connectable = containers.filter((c) => !attached.has(c.id) && !c.networks.includes(network.name) && !c.networks.includes(network.id));
  const canConnect = canOperate && network.driver === 'bridge';
  const ipam = info?.IPAM.Config[0];

  return (
    <div className="space-y-2 text-xs" data-testid="network-inspect">
      <dl className="grid grid-cols-[7rem_1fr] gap-1 sm:grid-cols-[7rem_1fr_7rem_1fr]">
        <dt className="text-zinc-500">Id</dt>
        <dd className="break-all font-mono">{network.id.slice(0, 12)}</dd>
        <dt className="text-zinc-500">Created</dt>
        <dd title={network.created}>{ago(network.created)}</dd>
        <dt className="text-zinc-500">Bridge</dt>
        <dd className="font-mono">{network.bridge ?? '—'}</dd>
        <dt className="text-zinc-500">Internal</dt>
        <dd>{network.internal ? 'yes' : 'no'}</dd>
        <dt className="text-zinc-500">IP range</dt>
        <dd className="font-mono">{ipam?.IPRange ?? '—'}</dd>
        <dt className="text-zinc-500">Labels</dt>
        <dd>
          <Labels labels={network.labels} />
        </dd>
      </dl>
      <div className="overflow-x-auto">
        <table className="w-full min-w-[32rem] text-left">
          <thead className="text-zinc-500">
            <tr>
              <th className="py-1 pr-2 font-medium">Container</th>
              <th className="pr-2 font-medium">IPv4 address</th>
              <th className="pr-2 font-medium">MAC address</th>
              <th className="pr-2 font-medium">Aliases</th>
              <th />
            </tr>
          </thead>
          <tbody>
            {endpoints.map(([id, e], i) => (
              <tr key={id} data-testid={`endpoint-${e.Name}`} className="border-t border-zinc-100 dark:border-zinc-800">
                <td className="py-1 pr-2">
                  <Link className="text-sky-700 dark:text-sky-400 hover:underline" href={`/containers/${id}`}>
                    {e.Name}
                  </Link>
                </td>
                <td className="pr-2 font-mono" data-testid="endpoint-ip">
                  {e.IPv4Address}
                </td>
                <td className="pr-2 font-mono">{e.MacAddress}</td>
                <td className="pr-2 font-mono" data-testid="endpoint-aliases">
                  {aliasesOf(i).join(', ')}
                </td>
                <td className="py-1 text-right">
                  {canConnect && (
                    <button
                      className="btn"
                      disabled={busy}
                      aria-label={`disconnect ${e.Name}`}
                      onClick={() => void action.run(() => disconnect.mutateAsync({ network: network.id, container: id }))}
                    >
                      disconnect
                    </button>
                  )}
                </td>
              </tr>
            ))}
            {info && !endpoints.length && (
              <tr>
                <td colSpan={5} className="py-2 text-zinc-500">
                  No running container is connected.
                </td>
              </tr>
            )}
          </tbody>
        </table>
      </div>
      {canConnect && (
        <form
          className="flex flex-wrap items-center gap-2"
          onSubmit={(e) => {
            e.preventDefault();
            if (!pick) return;
            void action.run(async () => {
              await connect.mutateAsync({ network: network.id, container: pick, ip: ip.trim() || undefined });
              setPick('');
              setIp('');
            });
          }}
        >
          <select className="input w-auto min-w-[10rem]" aria-label="container to connect" value={pick} onChange={(e) => setPick(e.target.value)}>
            <option value="">choose a container…</option>
            {connectable.map((c) => {
              const name = c.names[0]?.replace(/^\//, '') ?? c.id.slice(0, 12);
              return (
                <option key={c.id} value={name}>
                  {name} ({c.state})
                </option>
              );
            })}
          </select>
          {network.subnet && (
            <input className="input w-40" aria-label="ip address (optional)" placeholder="IP (optional)" value={ip} onChange={(e) => setIp(e.target.value)} />
          )}
          <button className="btn-primary" disabled={busy || !pick}>
            Connect
          </button>
        </form>
      )}
      <ErrorAlert message={error} onClose={() => action.setError('')} />
    </div>
  );
}
