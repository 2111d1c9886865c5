'use client';
import { useMutation, useQuery } from '@tanstack/react-query';
import Link from 'next/link';
import { Fragment, useMemo, useState } from 'react';
import { ImageHistoryView } from '../../components/resources/image-history';
import { PullPanel } from '../../components/resources/pull-panel';
import { ErrorAlert, Notice, PHONE_CARDS, ROW, TABLE, THEAD, type ImageRow } from '../../components/resources/shared';
import { toasted } from '../../components/toast';
import { useAction } from '../../components/use-action';
import { useMe } from '../../components/use-auth';
import { ago, bytes } from '../../lib/format';
import { errorMessage } from '../../lib/errors';
import { useTRPC } from '../../trpc/react';
import { useConfirm } from '../../components/confirm-dialog';
import { useTitle } from '../../components/use-title';
import { useUrlState } from '../../components/use-url-state';

const shortId = (id: string) => id.replace(/^sha256:/, '').slice(0, 12);
/** the image's own page (a search parameter: the dashboard exports statically) */
const imageHref = (ref: string) => `/images/view?ref=${encodeURIComponent(ref)}`;

export default function ImagesPage() {
  useTitle('Images');
  const me = useMe();
  const trpc = useTRPC();
  const canOperate = !!me?.can.operate;
  // lists kept current by the event stream (trpc/live-events.tsx): a container started from the CLI shows as "in use"
  const imagesQ = useQuery(trpc.images.list.queryOptions(undefined, { enabled: !!me }));
  const containersQ = useQuery(trpc.containers.list.queryOptions({ all: true }, { enabled: !!me }));
  const images = useMemo(() => imagesQ.data ?? [], [imagesQ.data]);
  const loaded = imagesQ.isSuccess && containersQ.isSuccess;
  // in the URL (also how the Build page and the commit dialog link here): a refresh or back keeps it
  const [search, setSearch] = useUrlState('q', '');
  const action = useAction();
  const confirm = useConfirm();
  const failed = imagesQ.error ?? containersQ.error;
  const error = action.error || (failed ? errorMessage(failed) : '');
  const { notice, busy } = action;
  const removeImage = useMutation(trpc.images.remove.mutationOptions());
  const tagImage = useMutation(trpc.images.tag.mutationOptions());
  const pushImage = useMutation(trpc.images.push.mutationOptions());
  const pruneImages = useMutation(trpc.images.prune.mutationOptions());
  const [expanded, setExpanded] = useState<string | null>(null);
  const [tagging, setTagging] = useState<string | null>(null);
  const [newTag, setNewTag] = useState('');
  const [pruneAll, setPruneAll] = useState(false);
  const [pushes, setPushes] = useState<Record<string, PushState>>({});

  const usage = useMemo(() => {
    const m = new Map<string, number>();
    for (const c of containersQ.data ?? []) m.set(c.imageId, (m.get(c.imageId) ?? 0) + 1);
    return m;
  }, [containersQ.data]);

  const shown = useMemo(() => {
    const q = search.trim().toLowerCase();
    if (!q) return images;
    return images.filter(
      (i) =>
        shortId(i.id).startsWith(q.replace(/^sha256:/, '')) ||
        i.repoTags.some((t) => t.toLowerCase().includes(q)) ||
        i.repoDigests.some((d) => d.toLowerCase().includes(q)),
    );
  }, [images, search]);

  const remove = (i: ImageRow) => {
    const users = usage.get(i.id) ?? 0;
    const name = i.repoTags[0] ?? shortId(i.id);
    const force = users > 0 || i.repoTags.length > 1;
    void confirm.ask({
      title: `${users ? 'Force-remove' : 'Remove'} image ${name}?`,
      body: users
        ? `It is used by ${users} container(s). Its tags are removed; the containers keep the image.`
        : i.repoTags.length > 1
          ? `All its tags go: ${i.repoTags.join(', ')}.`
          : 'Layers no other image uses are deleted.',
      confirm: `${users ? 'Force-remove' : 'Remove'} image ${name}`,
      run: () =>
        action.run(
          () => toasted(removeImage.mutateAsync({ ref: i.id, force }), `Removed ${name}`, `Could not remove ${name}`),
          (r) =>
            `${r.untagged.length ? `Untagged ${r.untagged.join(', ')}. ` : ''}${r.deleted.length ? `Deleted ${r.deleted.length} image/layer(s).` : ''}`.trim(),
        ),
    });
  };

  const untag = (i: ImageRow, tag: string) => {
    const last = i.repoTags.length === 1;
    void confirm.ask({
      title: `Untag ${tag}?`,
      body: last
        ? `It is the last tag of ${shortId(i.id)}: removing it removes the image${usage.get(i.id) ? ' name (containers keep the image)' : ''}.`
        : `The image keeps its other tags (${i.repoTags.filter((t) => t !== tag).join(', ')}).`,
      confirm: `Untag ${tag}`,
      run: () =>
        action.run(
          () => toasted(removeImage.mutateAsync({ ref: tag, force: (usage.get(i.id) ?? 0) > 0 }), `Untagged ${tag}`, `Could not untag ${tag}`),
          `Untagged ${tag}`,
        ),
    });
  };

  const tag = (i: ImageRow) => {
    const target = newTag.trim();
    if (!target) return;
    void action.run(
      async () => {
        await tagImage.mutateAsync({ source: i.id, target });
        setTagging(null);
        setNewTag('');
      },
      `Tagged ${shortId(i.id)} as ${target}`,
    );
  };

  /** pushes run side by side, each with its own spinner and result under the image's tags */
  const push = async (tag: string) => {
    setPushes((p) => ({ ...p, [tag]: { state: 'pushing' } }));
    try {
      const r = await pushImage.mutateAsync({ ref: tag });
      setPushes((p) => ({ ...p, [tag]: { state: 'done', digest: r.digest } }));
    } catch (e) {
      setPushes((p) => ({ ...p, [tag]: { state: 'error', message: errorMessage(e) } }));
    }
  };
  const dismissPush = (tag: string) =>
    setPushes((p) => {
      const { [tag]: _, ...rest } = p;
      return rest;
    });

  const prune = () => {
    const what = pruneAll ? 'every image no container uses (tagged ones too)' : 'dangling images (no tag, no container)';
    void confirm.ask({
      title: `Remove ${what}?`,
      body: 'Their layers are deleted unless another image uses them.',
      confirm: pruneAll ? 'Remove unused images' : 'Remove dangling images',
      run: () =>
        action.run(
          () => pruneImages.mutateAsync({ all: pruneAll }),
          (r) => `Pruned ${r.deleted.length} image/layer(s), reclaimed ${bytes(r.spaceReclaimed)}`,
        ),
    });
  };

  return (
    <div className="space-y-3">
      {confirm.dialog}
      <div className="flex flex-wrap items-center gap-2">
        <h1 className="mr-2 text-lg font-semibold">Images</h1>
        <input
          className="input max-w-xs"
          type="search"
          placeholder="search tag, digest, id"
          aria-label="search images"
          value={search}
          onChange={(e) => setSearch(e.target.value)}
        />
        <span className="flex-1" />
        {canOperate && (
          <div className="flex items-center gap-2" role="group" aria-label="prune images">
            <select
              className="input w-auto"
              aria-label="prune mode"
              value={pruneAll ? 'all' : 'dangling'}
              onChange={(e) => setPruneAll(e.target.value === 'all')}
            >
              <option value="dangling">dangling only</option>
              <option value="all">all unused</option>
            </select>
            <button className="btn" disabled={busy} onClick={prune}>
              Prune
            </button>
          </div>
        )}
      </div>
      {canOperate && <PullPanel />}
      <ErrorAlert message={error} onClose={() => action.setError('')} />
      <Notice message={notice} testId="images-notice" />
      <div className="card overflow-x-auto p-0">
        <table className={`${TABLE} ${PHONE_CARDS}`}>
          <thead className={THEAD}>
            <tr>
              <th className="px-3 py-2 font-medium">Repository:tag</th>
              <th className="px-2 font-medium">Id</th>
              <th className="px-2 text-right font-medium">Size</th>
              <th className="px-2 font-medium">Created</th>
              <th className="px-2 font-medium">In use</th>
              <th className="px-3" />
            </tr>
          </thead>
          <tbody>
            {shown.map((i) => {
              const users = usage.get(i.id) ?? 0;
              const open = expanded === i.id;
              return (
                <Fragment key={i.id}>
                  <tr className={ROW} data-testid={`image-${shortId(i.id)}`}>
                    <td className="px-3 py-2">
                      <span className="flex flex-wrap gap-1">
                        {i.repoTags.length ? (
                          i.repoTags.map((t) => (
                            <span
                              key={t}
                              className="inline-flex items-center gap-1 rounded bg-zinc-100 px-1.5 py-0.5 font-mono text-xs dark:bg-zinc-800"
                              data-testid="image-tag"
                            >
                              <Link className="hover:underline" href={imageHref(t)}>
                                {t}
                              </Link>
                              {canOperate && (
                                <button
                                  className="inline-flex min-h-6 items-center px-1 text-sky-700 hover:underline disabled:opacity-50 dark:text-sky-400"
                                  aria-label={`push ${t}`}
                                  title={`push ${t} to its registry`}
                                  disabled={pushes[t]?.state === 'pushing'}
                                  onClick={() => void push(t)}
                                >
                                  {pushes[t]?.state === 'pushing' ? <Spinner /> : 'push'}
                                </button>
                              )}
                              {canOperate && (
                                <button
                                  className="inline-flex min-h-6 min-w-6 items-center justify-center text-zinc-500 hover:text-rose-700 dark:hover:text-rose-400"
                                  aria-label={`untag ${t}`}
                                  title={`untag ${t}`}
                                  disabled={busy}
                                  onClick={() => untag(i, t)}
                                >
                                  ×
                                </button>
                              )}
                            </span>
                          ))
                        ) : (
                          <span className="font-mono text-xs text-zinc-500">&lt;none&gt;:&lt;none&gt;</span>
                        )}
                      </span>
                      {i.repoTags.some((t) => pushes[t]) && (
                        <ul className="mt-1 space-y-0.5 text-xs" aria-label="push results">
                          {i.repoTags
                            .filter((t) => pushes[t])
                            .map((t) => (
                              <PushLine key={t} tag={t} s={pushes[t]!} onDismiss={() => dismissPush(t)} />
                            ))}
                        </ul>
                      )}
                      {canOperate && tagging === i.id && (
                        <form
                          className="mt-2 flex max-w-md gap-1"
                          onSubmit={(e) => {
                            e.preventDefault();
                            tag(i);
                          }}
                        >
                          <input
                            className="input"
                            aria-label="new tag"
                            placeholder="repository:tag"
                            value={newTag}
                            onChange={(e) => setNewTag(e.target.value)}
                            autoFocus
                            required
                          />
                          <button className="btn-primary" disabled={busy || !newTag.trim()}>
                            Add tag
                          </button>
                        </form>
                      )}
                    </td>
                    <td className="px-2 font-mono text-xs" title={i.id}>
                      <Link
                        className="text-sky-700 hover:underline dark:text-sky-400"
                        href={imageHref(i.id)}
                        aria-label={`${shortId(i.id)}: details of ${i.repoTags[0] ?? 'the untagged image'}`}
                      >
                        {shortId(i.id)}
                      </Link>
                    </td>
                    <td className="whitespace-nowrap px-2 text-right tabular-nums">{bytes(i.size)}</td>
                    <td className="whitespace-nowrap px-2" title={i.created}>
                      {ago(i.created)}
                    </td>
                    <td className="px-2" data-testid="in-use">
                      {users ? (
                        <span className="whitespace-nowrap rounded bg-sky-100 px-1.5 py-0.5 text-xs text-sky-800 dark:bg-sky-950 dark:text-sky-300">
                          {users} container{users > 1 ? 's' : ''}
                        </span>
                      ) : (
                        <span className="text-zinc-500">unused</span>
                      )}
                    </td>
                    <td className="px-3 py-1">
                      <div className="flex flex-wrap justify-end gap-1">
                        <button className="btn" aria-expanded={open} onClick={() => setExpanded(open ? null : i.id)}>
                          history
                        </button>
                        {canOperate && (
                          <>
                            <button
                              className="btn"
                              aria-expanded={tagging === i.id}
                              onClick={() => {
                                setTagging(tagging === i.id ? null : i.id);
                                setNewTag(i.repoTags[0]?.replace(/:[^:/]+$/, ':') ?? '');
                              }}
                            >
                              tag
                            </button>
                            <button className="btn-danger" disabled={busy} onClick={() => remove(i)}>
                              {users ? 'force remove' : 'remove'}
                            </button>
                          </>
                        )}
                      </div>
                    </td>
                  </tr>
                  {open && (
                    <tr>
                      <td colSpan={6} className="bg-zinc-50 px-3 py-2 dark:bg-zinc-950">
                        <ImageHistoryView imageId={i.id} />
                      </td>
                    </tr>
                  )}
                </Fragment>
              );
            })}
          </tbody>
        </table>
        {loaded && !shown.length && <p className="py-6 text-center text-sm text-zinc-500">{images.length ? 'No image matches.' : 'No images yet.'}</p>}
        <p className="px-3 py-1 text-right text-xs text-zinc-500">
          {shown.length} of {images.length} · {bytes(images.reduce((a, i) => a + i.size, 0))}
        </p>
      </div>
    </div>
  );
}

type PushState = { state: 'pushing' } | { state: 'done'; digest: string } | { state: 'error'; message: string };

function Spinner() {
  return (
    <span
      className="inline-block h-3 w-3 animate-spin rounded-full border-2 border-current border-t-transparent align-[-2px]"
      role="progressbar"
      aria-label="pushing"
    />
  );
}

/** one tag's push: a spinner while it runs, then the digest or the error */
function PushLine({ tag, s, onDismiss }: { tag: string; s: PushState; onDismiss: () => void }) {
  return (
    <li
      data-testid="push-status"
      role={s.state === 'error' ? 'alert' : 'status'}
      className={`flex items-start gap-2 break-all ${s.state === 'error' ? 'text-rose-700 dark:text-rose-300' : s.state === 'done' ? 'text-emerald-700 dark:text-emerald-400' : 'text-zinc-500'}`}
    >
      <span className="flex-1">
        {s.state === 'pushing' && (
          <>
            <Spinner /> Pushing {tag}…
          </>
        )}
        {s.state === 'done' && (
          <>
            Pushed {tag} · <span className="font-mono">{s.digest}</span>
          </>
        )}
        {s.state === 'error' && (
          <>
            Push of {tag} failed: {s.message}
          </>
        )}
      </span>
      {s.state !== 'pushing' && (
        <button className="text-zinc-500 underline" aria-label={`dismiss push result of ${tag}`} onClick={onDismiss}>
          dismiss
        </button>
      )}
    </li>
  );
}
