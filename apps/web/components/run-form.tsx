'use client';
import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { useMemo, useState } from 'react';
import type { PullProgress } from '@skiff/runtime/types';
import { bytes } from '../lib/format';
import { errorMessage, isNotFound } from '../lib/errors';
import { EMPTY_FORM, parseDotEnv, planRun, type RunForm as Form } from '../lib/run-spec';
import type { Client } from '../lib/trpc';
import { useInvalidate, useTRPC, useTRPCClient } from '../trpc/react';

const RESTARTS = ['no', 'always', 'unless-stopped', 'on-failure'] as const;

/** Pulls `ref`, reporting "n/m layers, x / y" as it goes (the same subscription the Images page uses). */
function pull(client: Client, ref: string, report: (s: string) => void): Promise<void> {
  const layers = new Map<string, PullProgress>();
  return new Promise<void>((resolve, reject) => {
    const sub = client.images.pull.subscribe(
      { ref },
      {
        onData: (d) => {
          if ('image' in d) {
            sub.unsubscribe();
            resolve();
            return;
          }
          if (d.progress.id !== 'manifest' && d.progress.id !== 'config') layers.set(d.progress.id, d.progress);
          const all = [...layers.values()];
          const done = all.filter((l) => l.status === 'done' || l.status === 'exists').length;
          const cur = all.reduce((n, l) => n + (l.current ?? 0), 0);
          const total = all.reduce((n, l) => n + (l.total ?? 0), 0);
          report(`pulling ${ref}: ${done}/${all.length} layers${total ? `, ${bytes(cur)} / ${bytes(total)}` : ''}`);
        },
        onError: reject,
      },
    );
  });
}

/** The run form: every common `docker run` option, with the equivalent command line shown as you type; `image` prefills the image (an image's page). */
export function RunForm({ onError, image }: { onError: (m: string) => void; image?: string }) {
  const trpc = useTRPC();
  const client = useTRPCClient();
  const queryClient = useQueryClient();
  const invalidate = useInvalidate();
  const [form, setForm] = useState<Form>(() => (image ? { ...EMPTY_FORM, image } : EMPTY_FORM));
  const { data: images = [] } = useQuery(trpc.images.list.queryOptions(undefined, { select: (l) => l.flatMap((i) => i.repoTags) }));
  const { data: networks = [] } = useQuery(trpc.networks.list.queryOptions(undefined, { select: (l) => l.map((n) => n.name) }));
  const run = useMutation(trpc.containers.run.mutationOptions());
  const [pasting, setPasting] = useState(false);
  const [pasted, setPasted] = useState('');
  const [alwaysPull, setAlwaysPull] = useState(false);
  const [busy, setBusy] = useState(false);
  const [status, setStatus] = useState('');
  const plan = useMemo(() => planRun(form), [form]);
  const set = <K extends keyof Form>(k: K, v: Form[K]) => setForm((f) => ({ ...f, [k]: v }));

  const pullImage = async (ref: string) => {
    await pull(client, ref, setStatus);
    await invalidate([['images']]);
  };

  /** the run failed for want of the image itself (not of a network or volume it names) */
  const imageMissing = async (e: unknown, ref: string) =>
    isNotFound(e) &&
    (await queryClient.fetchQuery(trpc.images.inspect.queryOptions({ ref }, { staleTime: 0 })).then(
      () => false,
      (err: unknown) => isNotFound(err),
    ));

  const submit = async () => {
    setBusy(true);
    onError('');
    const { spec } = plan;
    try {
      // pull first when the image is not here (or always, on request), so progress shows from the start
      const local = images.includes(spec.image) || images.includes(`${spec.image}:latest`);
      if (alwaysPull || !local) await pullImage(spec.image);
      try {
        setStatus('starting…');
        await run.mutateAsync({ spec });
      } catch (e) {
        if (alwaysPull || !(await imageMissing(e, spec.image))) throw e;
        // removed meanwhile: pull-if-missing, like docker run
        await pullImage(spec.image);
        setStatus('starting…');
        await run.mutateAsync({ spec });
      }
      setStatus('');
      set('name', '');
    } catch (e) {
      setStatus('');
      onError(errorMessage(e));
    } finally {
      setBusy(false);
    }
  };

  const fieldError = (k: keyof Form) =>
    plan.errors[k] && form[k] !== EMPTY_FORM[k] ? (
      <p className="text-xs text-rose-600" role="alert">
        {plan.errors[k]}
      </p>
    ) : null;
  const env = form.env.length ? form.env : [{ key: '', value: '' }];
  const setEnv = (i: number, part: 'key' | 'value', v: string) =>
    set(
      'env',
      env.map((e, j) => (j === i ? { ...e, [part]: v } : e)),
    );
  const hasErrors = Object.keys(plan.errors).length > 0;

  return (
    <form
      className="card space-y-3 text-sm"
      aria-label="run a container"
      onSubmit={(e) => {
        e.preventDefault();
        if (!hasErrors) void submit();
      }}
    >
      <div className="grid grid-cols-1 gap-2 md:grid-cols-6">
        <label className="md:col-span-3">
          <span className="label">Image</span>
          <input
            className="input"
            placeholder="busybox:latest"
            aria-label="image"
            list="local-images"
            value={form.image}
            onChange={(e) => set('image', e.target.value)}
            required
          />
          <datalist id="local-images">
            {images.map((i) => (
              <option key={i} value={i} />
            ))}
          </datalist>
        </label>
        <label className="md:col-span-2">
          <span className="label">Name</span>
          <input className="input" placeholder="optional" aria-label="name" value={form.name} onChange={(e) => set('name', e.target.value)} />
          {fieldError('name')}
        </label>
        <div className="flex items-end">
          <button className="btn-primary w-full" disabled={busy || hasErrors}>
            Run
          </button>
        </div>
        <label className="md:col-span-4">
          <span className="label">Command</span>
          <input
            className="input font-mono"
            placeholder="image default; shell syntax runs in sh -c"
            aria-label="command"
            value={form.command}
            onChange={(e) => set('command', e.target.value)}
          />
        </label>
        <label className="md:col-span-2">
          <span className="label">Entrypoint</span>
          <input
            className="input font-mono"
            placeholder="image default"
            aria-label="entrypoint"
            value={form.entrypoint}
            onChange={(e) => set('entrypoint', e.target.value)}
          />
        </label>
        <label className="md:col-span-2">
          <span className="label">Ports</span>
          <input
            className="input font-mono"
            placeholder="8080:80 127.0.0.1:5353:53/udp"
            aria-label="ports"
            value={form.ports}
            onChange={(e) => set('ports', e.target.value)}
          />
          {fieldError('ports')}
        </label>
        <label className="md:col-span-2">
          <span className="label">Network</span>
          <select className="input" aria-label="network" value={form.network} onChange={(e) => set('network', e.target.value)}>
            <option value="">bridge (default)</option>
            {networks
              .filter((n) => n !== 'bridge')
              .map((n) => (
                <option key={n} value={n}>
                  {n}
                </option>
              ))}
          </select>
        </label>
        <div className="flex gap-2 md:col-span-2">
          <label className="flex-1">
            <span className="label">Restart</span>
            <select className="input" aria-label="restart policy" value={form.restart} onChange={(e) => set('restart', e.target.value as Form['restart'])}>
              {RESTARTS.map((r) => (
                <option key={r} value={r}>
                  {r}
                </option>
              ))}
            </select>
          </label>
          {form.restart === 'on-failure' && (
            <label className="w-20">
              <span className="label">Retries</span>
              <input
                className="input"
                aria-label="max retries"
                inputMode="numeric"
                value={form.maxRetries}
                onChange={(e) => set('maxRetries', e.target.value)}
              />
            </label>
          )}
        </div>
        {(fieldError('restart') || fieldError('maxRetries')) && (
          <div className="md:col-span-6">
            {fieldError('restart')}
            {fieldError('maxRetries')}
          </div>
        )}
        <label className="md:col-span-3">
          <span className="label">Volumes, one per line</span>
          <textarea
            className="input font-mono"
            rows={2}
            placeholder={'/srv/site:/www:ro\ndata:/var/lib/data\n/cache'}
            aria-label="volumes"
            value={form.volumes}
            onChange={(e) => set('volumes', e.target.value)}
          />
          {fieldError('volumes')}
        </label>
        <label className="md:col-span-3">
          <span className="label">Labels, key=value per line</span>
          <textarea
            className="input font-mono"
            rows={2}
            placeholder="app=web"
            aria-label="labels"
            value={form.labels}
            onChange={(e) => set('labels', e.target.value)}
          />
        </label>
        <label>
          <span className="label">CPUs</span>
          <input className="input" placeholder="0.5" aria-label="cpus" inputMode="decimal" value={form.cpus} onChange={(e) => set('cpus', e.target.value)} />
          {fieldError('cpus')}
        </label>
        <label>
          <span className="label">Memory</span>
          <input className="input" placeholder="256m" aria-label="memory" value={form.memory} onChange={(e) => set('memory', e.target.value)} />
          {fieldError('memory')}
        </label>
        <label>
          <span className="label">User</span>
          <input className="input" placeholder="image default" aria-label="user" value={form.user} onChange={(e) => set('user', e.target.value)} />
        </label>
        <label>
          <span className="label">Working dir</span>
          <input className="input" placeholder="image default" aria-label="working dir" value={form.workdir} onChange={(e) => set('workdir', e.target.value)} />
        </label>
        <div className="flex flex-wrap items-end gap-3 md:col-span-2">
          <label className="flex items-center gap-1">
            <input type="checkbox" checked={form.autoRemove} onChange={(e) => set('autoRemove', e.target.checked)} /> --rm
          </label>
          <label className="flex items-center gap-1">
            <input type="checkbox" checked={form.tty} onChange={(e) => set('tty', e.target.checked)} /> TTY
          </label>
          <label className="flex items-center gap-1">
            <input type="checkbox" checked={alwaysPull} onChange={(e) => setAlwaysPull(e.target.checked)} /> always pull
          </label>
        </div>
      </div>
      <fieldset className="space-y-1">
        <legend className="label">Environment</legend>
        {env.map((e, i) => (
          <div key={i} className="flex gap-2">
            <input
              className="input w-1/3 font-mono"
              placeholder="KEY"
              aria-label={`env key ${i + 1}`}
              value={e.key}
              onChange={(ev) => setEnv(i, 'key', ev.target.value)}
            />
            <input
              className="input flex-1 font-mono"
              placeholder="value"
              aria-label={`env value ${i + 1}`}
              value={e.value}
              onChange={(ev) => setEnv(i, 'value', ev.target.value)}
            />
            <button
              type="button"
              className="btn"
              aria-label={`remove env ${i + 1}`}
              onClick={() =>
                set(
                  'env',
                  env.filter((_, j) => j !== i),
                )
              }
            >
              ×
            </button>
          </div>
        ))}
        {fieldError('env')}
        <div className="flex gap-2">
          <button type="button" className="btn" onClick={() => set('env', [...env, { key: '', value: '' }])}>
            add variable
          </button>
          <button type="button" className="btn" aria-expanded={pasting} onClick={() => setPasting((p) => !p)}>
            paste .env
          </button>
        </div>
        {pasting && (
          <div className="flex gap-2">
            <textarea
              className="input flex-1 font-mono"
              rows={3}
              aria-label="paste env"
              placeholder={'# .env\nDB_HOST=db'}
              value={pasted}
              onChange={(e) => setPasted(e.target.value)}
            />
            <button
              type="button"
              className="btn"
              onClick={() => {
                const rows = parseDotEnv(pasted);
                const merged = new Map(env.filter((e) => e.key).map((e) => [e.key, e.value]));
                for (const r of rows) merged.set(r.key, r.value);
                set(
                  'env',
                  [...merged].map(([key, value]) => ({ key, value })),
                );
                setPasted('');
                setPasting(false);
              }}
            >
              add
            </button>
          </div>
        )}
      </fieldset>
      <code className="block break-all rounded bg-zinc-100 p-2 text-xs text-zinc-600 dark:bg-zinc-900 dark:text-zinc-400" data-testid="run-command-line">
        {plan.commandLine}
      </code>
      {status && (
        <p className="text-xs" data-testid="run-status">
          {status}
        </p>
      )}
    </form>
  );
}
