'use client';
import { useQuery } from '@tanstack/react-query';
import Link from 'next/link';
import { useState, type ReactNode } from 'react';
import { bytes, when } from '../../lib/format';
import { errorMessage, isNotFound } from '../../lib/errors';
import { useTRPC } from '../../trpc/react';
import { RunForm } from '../run-form';
import { useMe } from '../use-auth';
import { ImageHistoryView } from './image-history';
import { ErrorAlert, Labels } from './shared';
import { ScrollRegion } from '../scroll-region';

const shortId = (id: string) => id.replace(/^sha256:/, '').slice(0, 12);
const none = <span className="text-zinc-500">—</span>;
/** a list of strings as `docker inspect` would quote it, or — */
const argv = (xs: string[] | null | undefined) => (xs?.length ? <code className="break-all text-xs">{JSON.stringify(xs)}</code> : none);
const keys = (o: Record<string, object> | undefined) =>
  o && Object.keys(o).length ? (
    <span className="flex flex-wrap gap-1">
      {Object.keys(o).map((k) => (
        <code key={k} className="rounded bg-zinc-100 px-1.5 py-0.5 text-xs dark:bg-zinc-800">
          {k}
        </code>
      ))}
    </span>
  ) : (
    none
  );

function Field({ name, children }: { name: string; children: ReactNode }) {
  return (
    <>
      <dt className="text-zinc-500">{name}</dt>
      <dd className="min-w-0" data-testid={`image-${name.toLowerCase().replace(/\W+/g, '-')}`}>
        {children}
      </dd>
    </>
  );
}

/**
 * One image: its config (what a container of it runs, as whom, where, with which ports and
 * volumes), its layers and build history, the containers made from it, and a Run button
 * that opens the run form with the image filled in.
 */
export function ImageDetail({ imageRef }: { imageRef: string }) {
  const me = useMe();
  const trpc = useTRPC();
  const signedIn = { enabled: !!me && !!imageRef };
  const q = useQuery(trpc.images.inspect.queryOptions({ ref: imageRef }, signedIn));
  const containersQ = useQuery(trpc.containers.list.queryOptions({ all: true }, signedIn));
  const [running, setRunning] = useState(false);
  const [runError, setRunError] = useState('');
  const image = q.data;

  if (!imageRef)
    return (
      <p className="card">
        No image named. <BackLink />
      </p>
    );
  if (q.error && isNotFound(q.error))
    return (
      <p className="card">
        No such image: {imageRef}. <BackLink />
      </p>
    );
  if (!image) return q.error ? <ErrorAlert message={errorMessage(q.error)} /> : <p>loading…</p>;

  const c = image.config;
  const name = image.repoTags[0] ?? shortId(image.id);
  const users = (containersQ.data ?? []).filter((x) => x.imageId === image.id);
  const env = c.Env ?? [];
  return (
    <div className="space-y-3">
      <div className="flex flex-wrap items-center gap-3">
        <h1 className="text-xl font-semibold">
          {/* underlined: in the heading's text a colour alone does not mark it as a link */}
          <Link className="text-sky-700 underline underline-offset-2 hover:no-underline dark:text-sky-400" href="/images">
            Images
          </Link>{' '}
          / <span className="break-all">{name}</span> <span className="text-sm font-normal text-zinc-500">{shortId(image.id)}</span>
        </h1>
        <span className="flex-1" />
        {me?.can.operate && (
          <button className="btn-primary" aria-expanded={running} onClick={() => setRunning((r) => !r)}>
            {running ? 'Close' : 'Run'}
          </button>
        )}
      </div>
      <ErrorAlert message={runError} onClose={() => setRunError('')} />
      {running && <RunForm image={image.repoTags[0] ?? image.id} onError={setRunError} />}

      <section className="card text-sm" aria-label="config">
        <h2 className="mb-2 font-semibold">Config</h2>
        <dl className="grid grid-cols-[8rem_minmax(0,1fr)] gap-x-3 gap-y-1.5">
          <Field name="Tags">{image.repoTags.length ? image.repoTags.join(', ') : none}</Field>
          <Field name="Id">
            <code className="break-all text-xs">{image.id}</code>
          </Field>
          <Field name="Digests">{image.repoDigests.length ? <code className="break-all text-xs">{image.repoDigests.join(', ')}</code> : none}</Field>
          <Field name="Created">{when(image.created)}</Field>
          <Field name="Platform">
            {image.os}/{image.architecture}
          </Field>
          <Field name="Size">{bytes(image.size)}</Field>
          <Field name="Entrypoint">{argv(c.Entrypoint)}</Field>
          <Field name="Cmd">{argv(c.Cmd)}</Field>
          <Field name="WorkingDir">{c.WorkingDir ? <code>{c.WorkingDir}</code> : none}</Field>
          <Field name="User">{c.User ? <code>{c.User}</code> : <span className="text-zinc-500">root (not set)</span>}</Field>
          <Field name="Exposed ports">{keys(c.ExposedPorts)}</Field>
          <Field name="Volumes">{keys(c.Volumes)}</Field>
          <Field name="Env">
            {env.length ? (
              <ul className="font-mono text-xs">
                {env.map((e) => (
                  <li key={e} className="break-all">
                    {e}
                  </li>
                ))}
              </ul>
            ) : (
              none
            )}
          </Field>
          <Field name="Labels">
            <Labels labels={c.Labels ?? {}} />
          </Field>
          {c.StopSignal && <Field name="Stop signal">{c.StopSignal}</Field>}
        </dl>
      </section>

      <ScrollRegion className="card text-sm" label="layers">
        <h2 className="mb-2 font-semibold">Layers ({image.layers.length})</h2>
        <table className="w-full min-w-[32rem] text-left text-xs">
          <thead className="text-zinc-500">
            <tr>
              <th className="py-1 pr-2 font-medium">#</th>
              <th className="pr-2 font-medium">Diff id</th>
              <th className="pr-2 text-right font-medium">Compressed</th>
              <th className="font-medium">Media type</th>
            </tr>
          </thead>
          <tbody>
            {image.layers.map((l, i) => (
              <tr key={`${l.diffID}-${i}`} className="border-t border-zinc-100 dark:border-zinc-800" data-testid="layer-row">
                <td className="py-1 pr-2 tabular-nums">{i + 1}</td>
                <td className="pr-2 font-mono" title={l.diffID}>
                  {shortId(l.diffID)}
                </td>
                <td className="whitespace-nowrap pr-2 text-right tabular-nums">{l.size ? bytes(l.size) : '—'}</td>
                <td className="break-all text-zinc-500">{l.mediaType || '—'}</td>
              </tr>
            ))}
          </tbody>
        </table>
      </ScrollRegion>

      <section className="card text-sm" aria-label="history">
        <h2 className="mb-2 font-semibold">History</h2>
        <ImageHistoryView imageId={image.id} />
      </section>

      <section className="card text-sm" aria-label="containers">
        <h2 className="mb-2 font-semibold">Containers using it ({users.length})</h2>
        {users.length ? (
          <ul className="space-y-1">
            {users.map((u) => (
              <li key={u.id} className="flex gap-2" data-testid="image-container">
                <Link className="text-sky-700 hover:underline dark:text-sky-400" href={`/containers/${u.id}`}>
                  {u.names[0]?.replace(/^\//, '') ?? shortId(u.id)}
                </Link>
                <span className="text-zinc-500">{u.status}</span>
              </li>
            ))}
          </ul>
        ) : (
          <p className="text-zinc-500">{containersQ.isSuccess ? 'None.' : 'loading…'}</p>
        )}
      </section>
    </div>
  );
}

function BackLink() {
  return (
    <Link className="text-sky-700 hover:underline dark:text-sky-400" href="/images">
      Back to images
    </Link>
  );
}
