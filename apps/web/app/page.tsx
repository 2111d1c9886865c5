'use client';
import { useQuery } from '@tanstack/react-query';
import Link from 'next/link';
import type { ReactNode } from 'react';
import { useMe } from '../components/use-auth';
import { ago, bytes } from '../lib/format';
import { errorMessage } from '../lib/errors';
import { RECENT_EVENTS } from '../trpc/live-events';
import { useTRPC } from '../trpc/react';
import { useTitle } from '../components/use-title';

/** Dashboard home: the host, what runs on it, what just happened (all kept current by the event stream: trpc/live-events.tsx). */
export default function HomePage() {
  useTitle('Home');
  const me = useMe();
  const trpc = useTRPC();
  const signedIn = { enabled: !!me };
  const infoQ = useQuery(trpc.system.info.queryOptions(undefined, signedIn));
  const volumes = useQuery(trpc.volumes.list.queryOptions(undefined, signedIn));
  const networks = useQuery(trpc.networks.list.queryOptions(undefined, signedIn));
  const { data: df } = useQuery(trpc.system.df.queryOptions(undefined, signedIn));
  const { data: events = [] } = useQuery(trpc.system.recentEvents.queryOptions({ limit: RECENT_EVENTS }, signedIn));
  const info = infoQ.data;
  const counts = volumes.data && networks.data ? { volumes: volumes.data.length, networks: networks.data.length } : null;
  const failed = infoQ.error ?? volumes.error ?? networks.error;
  const error = failed ? errorMessage(failed) : '';

  // the number is the link (the nav's "Images" and "Volumes" stay the only links of those names);
  // the card's label describes it, so a screen reader says "3, link, Images"
  const stat = (label: string, value: ReactNode, href: string, id: string) => (
    <div className="card">
      <div className="text-xs uppercase tracking-wide text-zinc-500" id={`stat-${id}`}>
        {label}
      </div>
      <div className="mt-1 text-2xl font-semibold" data-testid={id}>
        <Link href={href} className="hover:underline" aria-describedby={`stat-${id}`}>
          {value}
        </Link>
      </div>
    </div>
  );

  return (
    <div className="space-y-4">
      <h1 className="text-lg font-semibold">Overview</h1>
      {error && (
        <p role="alert" className="rounded bg-rose-100 p-2 text-sm text-rose-700 dark:bg-rose-950 dark:text-rose-300">
          {error}
        </p>
      )}
      {!info && !error && <Skeleton />}
      {info && (
        <>
          <div className="grid grid-cols-2 gap-3 md:grid-cols-4">
            {stat(
              'Running',
              <>
                {info.containersRunning}
                <span className="text-base text-zinc-500"> / {info.containers}</span>
              </>,
              '/containers',
              'running-count',
            )}
            {stat('Stopped', info.containersStopped, '/containers?state=exited', 'stopped-count')}
            {stat('Images', info.images, '/images', 'image-count')}
            {stat('Volumes · networks', counts ? `${counts.volumes} · ${counts.networks}` : '…', '/volumes', 'volume-network-count')}
          </div>
          <div className="grid gap-3 md:grid-cols-2">
            <section className="card text-sm" aria-label="host">
              <h2 className="mb-2 font-semibold">Host</h2>
              <dl className="grid grid-cols-[8rem_1fr] gap-y-1">
                <dt className="text-zinc-500">OS</dt>
                <dd>{info.os}</dd>
                <dt className="text-zinc-500">Kernel</dt>
                <dd data-testid="kernel">{info.kernel}</dd>
                <dt className="text-zinc-500">CPUs</dt>
                <dd>{info.cpus}</dd>
                <dt className="text-zinc-500">Memory</dt>
                <dd>{bytes(info.memTotal)}</dd>
                <dt className="text-zinc-500">cgroups</dt>
                <dd>v{info.cgroupVersion}</dd>
                <dt className="text-zinc-500">Skiff</dt>
                <dd>
                  {info.version} · root {info.root}
                </dd>
              </dl>
            </section>
            <section className="card text-sm" aria-label="disk usage">
              <h2 className="mb-2 font-semibold">Disk used</h2>
              {df ? (
                <dl className="grid grid-cols-[8rem_1fr] gap-y-1" data-testid="disk">
                  <dt className="text-zinc-500">Images</dt>
                  <dd>
                    {bytes(df.images.size)} ({df.images.count})
                  </dd>
                  <dt className="text-zinc-500">Containers</dt>
                  <dd>
                    {bytes(df.containers.size)} ({df.containers.count})
                  </dd>
                  <dt className="text-zinc-500">Volumes</dt>
                  <dd>
                    {bytes(df.volumes.size)} ({df.volumes.count})
                  </dd>
                </dl>
              ) : (
                <p className="text-zinc-500">measuring…</p>
              )}
            </section>
          </div>
        </>
      )}
      <section className="card text-sm" aria-label="recent events">
        <h2 className="mb-2 font-semibold">Recent events</h2>
        {events.length ? (
          <ul className="divide-y divide-zinc-100 dark:divide-zinc-800" data-testid="events">
            {events.map((e, i) => (
              <li key={`${e.time}-${i}`} className="flex gap-3 py-1">
                <span className="w-28 shrink-0 text-zinc-500">{ago(Math.floor(e.time / 1e6))}</span>
                <span className="w-20 shrink-0">{e.type}</span>
                <span className="w-24 shrink-0 font-medium">{e.action}</span>
                <span className="truncate font-mono text-xs">{e.attributes.name ?? e.id.slice(0, 12)}</span>
              </li>
            ))}
          </ul>
        ) : (
          <p className="text-zinc-500">Nothing yet.</p>
        )}
      </section>
    </div>
  );
}

/**
 * The cards' shapes while the first answers load, so the recent-events card below does not
 * jump down when they land.
 */
function Skeleton() {
  const bar = (w: string) => <div className={`h-4 ${w} animate-pulse rounded bg-zinc-200 dark:bg-zinc-800`} />;
  return (
    <div className="space-y-4" aria-hidden data-testid="home-skeleton">
      <div className="grid grid-cols-2 gap-3 md:grid-cols-4">
        {[0, 1, 2, 3].map((i) => (
          <div key={i} className="card">
            {bar('w-20')}
            <div className="mt-1 h-8 w-12 animate-pulse rounded bg-zinc-200 dark:bg-zinc-800" />
          </div>
        ))}
      </div>
      <div className="grid gap-3 md:grid-cols-2">
        {[0, 1].map((i) => (
          <div key={i} className="card">
            <div className="mb-2 h-5 w-24 animate-pulse rounded bg-zinc-200 dark:bg-zinc-800" />
            {/* the host card's six 20 px rows with their 4 px gaps */}
            <div className="h-[140px]" />
          </div>
        ))}
      </div>
    </div>
  );
}
