'use client';
import type { ContainerInspect, Health } from '@skiff/docker-types';
import { ago, bytes } from '../../lib/format';

const Row = ({ label, children }: { label: string; children: React.ReactNode }) => (
  <>
    <dt className="text-zinc-500">{label}</dt>
    <dd className="min-w-0 break-words">{children}</dd>
  </>
);

const HEALTH_TONE: Record<Health['Status'], string> = {
  healthy: 'bg-emerald-100 text-emerald-700 dark:bg-emerald-950 dark:text-emerald-300',
  unhealthy: 'bg-rose-100 text-rose-700 dark:bg-rose-950 dark:text-rose-300',
  starting: 'bg-amber-100 text-amber-700 dark:bg-amber-950 dark:text-amber-300',
};

/** Status, streak and the last probe's output: what someone debugging a failing check looks at first. */
function HealthSummary({ health }: { health: Health }) {
  const last = health.Log[health.Log.length - 1];
  return (
    <span data-testid="health">
      <span className={`rounded px-1 text-xs ${HEALTH_TONE[health.Status]}`}>{health.Status}</span>
      {health.FailingStreak > 0 && <span className="ml-2 text-zinc-500">failing streak {health.FailingStreak}</span>}
      {last && (
        <span className="mt-0.5 block truncate font-mono text-xs text-zinc-500" title={last.Output}>
          exit {last.ExitCode} · {ago(last.End)}
          {last.Output.trim() ? ` · ${last.Output.trim()}` : ''}
        </span>
      )}
    </span>
  );
}

/** State, configuration and wiring of one container, from its inspect JSON. */
export function Overview({ info }: { info: ContainerInspect }) {
  const s = info.State;
  const ports = Object.entries(info.NetworkSettings.Ports ?? {});
  const networks = Object.entries(info.NetworkSettings.Networks ?? {});
  const hc = info.HostConfig;
  const labels = Object.entries(info.Config.Labels ?? {});
  return (
    <div className="grid grid-cols-1 gap-3 lg:grid-cols-2">
      <dl className="card grid grid-cols-[6rem_minmax(0,1fr)] gap-x-3 gap-y-1 text-sm sm:grid-cols-[8rem_minmax(0,1fr)]">
        <Row label="State">
          <span>{s.Status}</span>
          {s.OOMKilled && <span className="ml-2 rounded bg-rose-100 px-1 text-xs text-rose-700 dark:bg-rose-950 dark:text-rose-300">OOM killed</span>}
        </Row>
        {!s.Running && s.FinishedAt && !s.FinishedAt.startsWith('0001') && (
          <Row label="Exit code">
            <span data-testid="exit-code">{s.ExitCode}</span> · {ago(s.FinishedAt)}
          </Row>
        )}
        {s.Error && (
          <Row label="Error">
            <span className="text-rose-700 dark:text-rose-400">{s.Error}</span>
          </Row>
        )}
        {s.Health && (
          <Row label="Health">
            <HealthSummary health={s.Health} />
          </Row>
        )}
        {s.Running && (
          <Row label="Started">
            {ago(s.StartedAt)} · PID {s.Pid}
          </Row>
        )}
        <Row label="Created">{ago(info.Created)}</Row>
        <Row label="Image">
          <span className="font-mono text-xs">{info.Config.Image}</span>
        </Row>
        <Row label="Command">
          <span className="font-mono text-xs">{[info.Path, ...info.Args].join(' ')}</span>
        </Row>
        <Row label="Restart">
          {hc.RestartPolicy.Name}
          {hc.RestartPolicy.Name === 'on-failure' && hc.RestartPolicy.MaximumRetryCount ? `:${hc.RestartPolicy.MaximumRetryCount}` : ''} · restarted{' '}
          {info.RestartCount}×{hc.AutoRemove ? ' · --rm' : ''}
        </Row>
        <Row label="Limits">
          {hc.NanoCpus ? `${hc.NanoCpus / 1e9} CPUs` : 'no CPU limit'} · {hc.Memory ? bytes(hc.Memory) : 'no memory limit'}
        </Row>
        {info.Config.User && <Row label="User">{info.Config.User}</Row>}
        {info.Config.WorkingDir && (
          <Row label="Working dir">
            <span className="font-mono text-xs">{info.Config.WorkingDir}</span>
          </Row>
        )}
        <Row label="Hostname">{info.Config.Hostname}</Row>
      </dl>
      <div className="space-y-3">
        <section className="card text-sm" aria-label="ports">
          <h2 className="mb-1 font-medium">Ports</h2>
          {ports.length ? (
            <ul>
              {ports.map(([port, binds]) => (
                <li key={port}>
                  <span className="font-mono">{port}</span>
                  {binds?.length ? ' → ' : ' (not published)'}
                  {binds?.map((b) => (
                    <a
                      key={`${b.HostIp}:${b.HostPort}`}
                      className="mr-2 text-sky-700 dark:text-sky-400 hover:underline"
                      href={`http://${b.HostIp && b.HostIp !== '0.0.0.0' ? b.HostIp : location.hostname}:${b.HostPort}/`}
                      target="_blank"
                      rel="noreferrer"
                    >
                      {b.HostIp || '0.0.0.0'}:{b.HostPort}
                    </a>
                  ))}
                </li>
              ))}
            </ul>
          ) : (
            <p className="text-zinc-500">none</p>
          )}
        </section>
        <section className="card text-sm" aria-label="networks">
          <h2 className="mb-1 font-medium">Networks</h2>
          <table className="w-full text-left">
            <tbody>
              {networks.map(([name, n]) => (
                <tr key={name} data-testid={`network-${name}`}>
                  <td className="pr-2">{name}</td>
                  <td className="font-mono text-xs">{n.IPAddress ? `${n.IPAddress}${n.IPPrefixLen ? `/${n.IPPrefixLen}` : ''}` : '—'}</td>
                  {/* phones keep name and address; gateway and MAC are in inspect */}
                  <td className="hidden font-mono text-xs text-zinc-500 sm:table-cell">{n.Gateway && `gw ${n.Gateway}`}</td>
                  <td className="hidden font-mono text-xs text-zinc-500 sm:table-cell">{n.MacAddress}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </section>
        <section className="card text-sm" aria-label="mounts">
          <h2 className="mb-1 font-medium">Mounts</h2>
          {info.Mounts.length ? (
            <table className="w-full text-left">
              <tbody>
                {info.Mounts.map((m) => (
                  <tr key={m.Destination}>
                    <td className="pr-2 text-zinc-500">{m.Type}</td>
                    <td className="break-all font-mono text-xs">{m.Type === 'volume' ? m.Name : m.Source}</td>
                    <td className="break-all font-mono text-xs">→ {m.Destination}</td>
                    <td className="text-xs">{m.RW ? 'rw' : 'ro'}</td>
                  </tr>
                ))}
              </tbody>
            </table>
          ) : (
            <p className="text-zinc-500">none</p>
          )}
        </section>
        {labels.length > 0 && (
          <section className="card text-sm" aria-label="labels">
            <h2 className="mb-1 font-medium">Labels</h2>
            <ul className="break-all font-mono text-xs">
              {labels.map(([k, v]) => (
                <li key={k}>
                  {k}={v}
                </li>
              ))}
            </ul>
          </section>
        )}
      </div>
    </div>
  );
}
