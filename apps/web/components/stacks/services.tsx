'use client';
import Link from 'next/link';
import { useMemo, useState } from 'react';
import { Logs } from '../container/logs';
import { ROW, TABLE, THEAD } from '../resources/shared';
import { SERVICE_LABEL, type StackContainer, type Validation } from './shared';

/** services: those in the file, then any that only have containers (removed from the file, not yet redeployed) */
function useServices(validation: Validation | null, containers: StackContainer[]) {
  return useMemo(() => {
    const names = validation?.ok ? Object.keys(validation.project.services) : [];
    for (const c of containers) {
      const s = c.labels[SERVICE_LABEL];
      if (s && !names.includes(s)) names.push(s);
    }
    return names.map((s) => ({ name: s, containers: containers.filter((c) => c.labels[SERVICE_LABEL] === s) }));
  }, [validation, containers]);
}

/** The stack's services with their containers, states and ports, and one service's logs below. */
export function ServicesTable({ validation, containers }: { validation: Validation | null; containers: StackContainer[] }) {
  const services = useServices(validation, containers);
  const [logService, setLogService] = useState('');
  const logContainer = services.find((s) => s.name === logService)?.containers[0];
  return (
    <>
      <div className="card overflow-x-auto p-0">
        <table className={TABLE} aria-label="services">
          <thead className={THEAD}>
            <tr>
              <th className="p-2">Service</th>
              <th className="p-2">Container</th>
              <th className="p-2">State</th>
              <th className="p-2">Ports</th>
              <th className="p-2" />
            </tr>
          </thead>
          <tbody>
            {services.map((s) =>
              (s.containers.length ? s.containers : [undefined]).map((c, i) => (
                <tr key={c?.id ?? s.name} className={ROW} data-testid={`service-${s.name}`}>
                  <td className="p-2 font-medium">{i === 0 ? s.name : ''}</td>
                  <td className="p-2">
                    {c ? (
                      <Link className="text-sky-700 dark:text-sky-400 hover:underline" href={`/containers/${c.id}`}>
                        {c.names[0]?.replace(/^\//, '')}
                      </Link>
                    ) : (
                      <span className="text-zinc-500">not created</span>
                    )}
                  </td>
                  <td className="p-2" data-testid="container-state">
                    {c ? `${c.state}${c.health ? ` (${c.health})` : ''}` : '—'}
                    {c && <div className="text-xs text-zinc-500">{c.status}</div>}
                  </td>
                  <td className="p-2">
                    <Ports c={c} />
                  </td>
                  <td className="p-2 text-right">
                    {c && i === 0 && (
                      <button className="btn" aria-pressed={logService === s.name} onClick={() => setLogService(logService === s.name ? '' : s.name)}>
                        logs
                      </button>
                    )}
                  </td>
                </tr>
              )),
            )}
            {services.length === 0 && (
              <tr>
                <td colSpan={5} className="p-4 text-center text-zinc-500">
                  No services.
                </td>
              </tr>
            )}
          </tbody>
        </table>
      </div>
      {logContainer && (
        <div className="space-y-1" data-testid="service-logs">
          <h2 className="text-sm font-semibold">Logs: {logService}</h2>
          <Logs key={logContainer.id} id={logContainer.id} name={logContainer.names[0]?.replace(/^\//, '') ?? logContainer.id} />
        </div>
      )}
    </>
  );
}

function Ports({ c }: { c?: StackContainer }) {
  const published = (c?.ports ?? []).filter((p) => p.publicPort);
  if (!published.length) return <span className="text-zinc-500">—</span>;
  return (
    <span className="flex flex-wrap gap-1 font-mono text-xs">
      {published.map((p) => {
        const host = !p.ip || p.ip === '0.0.0.0' || p.ip === '::' ? (typeof location === 'undefined' ? 'localhost' : location.hostname) : p.ip;
        const text = `${p.ip && p.ip !== '0.0.0.0' ? `${p.ip}:` : ''}${p.publicPort}->${p.privatePort}/${p.type}`;
        return p.type === 'tcp' ? (
          <a
            key={text}
            className="text-sky-700 dark:text-sky-400 hover:underline"
            href={`http://${host.includes(':') ? `[${host}]` : host}:${p.publicPort}/`}
            target="_blank"
            rel="noreferrer"
          >
            {text}
          </a>
        ) : (
          <span key={text}>{text}</span>
        );
      })}
    </span>
  );
}
