'use client';
import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import Link from 'next/link';
import { type ChangeEvent, useId, useMemo, useRef, useState } from 'react';
import { errorMessage, isNotFound } from '../lib/errors';
import { EMPTY_FORM, planRun, type RunForm as Form } from '../lib/run-spec';
import { useInvalidate, useTRPC, useTRPCClient } from '../trpc/react';
import { Field } from './field';
import { EnvFields } from './run/env-fields';
import { FieldError, invalidProps } from './run/field-error';
import { pullWithProgress } from './run/pull';

const RESTARTS = ['no', 'always', 'unless-stopped', 'on-failure'] as const;
/** the fields typed in as free text */
type TextKey = { [K in keyof Form]: string extends Form[K] ? K : never }[keyof Form];

/** The run form: every common `docker run` option, with the equivalent command line shown as you type; `image` prefills the image (an image's page). */
export function RunForm({ onError, image }: { onError: (m: string) => void; image?: string }) {
  const trpc = useTRPC();
  const client = useTRPCClient();
  const queryClient = useQueryClient();
  const invalidate = useInvalidate();
  const uid = useId();
  const formRef = useRef<HTMLFormElement>(null);
  const [form, setForm] = useState<Form>(() => (image ? { ...EMPTY_FORM, image } : EMPTY_FORM));
  const { data: images = [] } = useQuery(trpc.images.list.queryOptions(undefined, { select: (l) => l.flatMap((i) => i.repoTags) }));
  const { data: networks = [] } = useQuery(trpc.networks.list.queryOptions(undefined, { select: (l) => l.map((n) => n.name) }));
  const run = useMutation(trpc.containers.run.mutationOptions());
  const [alwaysPull, setAlwaysPull] = useState(false);
  const [busy, setBusy] = useState(false);
  const [status, setStatus] = useState('');
  // after a Run with errors every error shows, not only those of fields already typed in
  const [submitted, setSubmitted] = useState(false);
  const [started, setStarted] = useState<{ id: string; name: string } | null>(null);
  const plan = useMemo(() => planRun(form), [form]);
  const set = <K extends keyof Form>(k: K, v: Form[K]) => setForm((f) => ({ ...f, [k]: v }));

  const pullImage = async (ref: string) => {
    await pullWithProgress(client, ref, setStatus);
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
    setStarted(null);
    onError('');
    const { spec } = plan;
    try {
      // pull first when the image is not here (or always, on request), so progress shows from the start
      const local = images.includes(spec.image) || images.includes(`${spec.image}:latest`);
      if (alwaysPull || !local) await pullImage(spec.image);
      let created: { id: string };
      try {
        setStatus('starting…');
        created = await run.mutateAsync({ spec });
      } catch (e) {
        if (alwaysPull || !(await imageMissing(e, spec.image))) throw e;
        // removed meanwhile: pull-if-missing, like docker run
        await pullImage(spec.image);
        setStatus('starting…');
        created = await run.mutateAsync({ spec });
      }
      setStatus('');
      // a fresh form for the next container, and word (with a link) of this one
      setStarted({ id: created.id, name: spec.name ?? created.id.slice(0, 12) });
      setForm(EMPTY_FORM);
      setAlwaysPull(false);
      setSubmitted(false);
    } catch (e) {
      setStatus('');
      onError(errorMessage(e));
    } finally {
      setBusy(false);
    }
  };

  /** a field's error once it was typed in (or Run was pressed): fresh forms do not start red */
  const errorOf = (k: keyof Form) => (plan.errors[k] && (submitted || form[k] !== EMPTY_FORM[k]) ? plan.errors[k] : undefined);
  const errorId = (k: keyof Form) => `${uid}-${k}-error`;
  const invalid = (k: keyof Form) => invalidProps(errorId(k), errorOf(k));
  const fieldError = (k: keyof Form) => <FieldError id={errorId(k)} message={errorOf(k)} />;
  /** a text control's value, its updates and its invalid marks */
  const bound = (k: TextKey) => ({
    value: form[k],
    onChange: (e: ChangeEvent<HTMLInputElement | HTMLTextAreaElement>) => set(k, e.target.value),
    ...invalid(k),
  });
  const shownErrors = (Object.keys(plan.errors) as (keyof Form)[]).filter((k) => errorOf(k));
  const hasErrors = Object.keys(plan.errors).length > 0;

  return (
    <form
      ref={formRef}
      className="card space-y-3 text-sm"
      aria-label="run a container"
      noValidate
      onSubmit={(e) => {
        e.preventDefault();
        if (!hasErrors) {
          void submit();
          return;
        }
        setSubmitted(true);
        // after React marks the fields, the first one gets the focus (and its message is read out)
        requestAnimationFrame(() => formRef.current?.querySelector<HTMLElement>('[aria-invalid="true"]')?.focus());
      }}
    >
      <div className="grid grid-cols-1 gap-2 md:grid-cols-6">
        <Field className="md:col-span-3" label="Image" error={fieldError('image')}>
          <input className="input" placeholder="busybox:latest" aria-label="image" list="local-images" required {...bound('image')} />
          <datalist id="local-images">
            {images.map((i) => (
              <option key={i} value={i} />
            ))}
          </datalist>
        </Field>
        <Field className="md:col-span-2" label="Name" error={fieldError('name')}>
          <input className="input" placeholder="optional" aria-label="name" {...bound('name')} />
        </Field>
        <div className="flex items-end">
          <button className="btn-primary w-full" disabled={busy}>
            Run
          </button>
        </div>
        <Field className="md:col-span-4" label="Command">
          <input className="input font-mono" placeholder="image default; shell syntax runs in sh -c" aria-label="command" {...bound('command')} />
        </Field>
        <Field className="md:col-span-2" label="Entrypoint">
          <input className="input font-mono" placeholder="image default" aria-label="entrypoint" {...bound('entrypoint')} />
        </Field>
        <Field className="md:col-span-2" label="Ports" error={fieldError('ports')}>
          <input className="input font-mono" placeholder="8080:80 127.0.0.1:5353:53/udp" aria-label="ports" {...bound('ports')} />
        </Field>
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
            <select
              className="input"
              aria-label="restart policy"
              value={form.restart}
              onChange={(e) => set('restart', e.target.value as Form['restart'])}
              {...invalid('restart')}
            >
              {RESTARTS.map((r) => (
                <option key={r} value={r}>
                  {r}
                </option>
              ))}
            </select>
          </label>
          {form.restart === 'on-failure' && (
            <Field className="w-20" label="Retries">
              <input className="input" aria-label="max retries" inputMode="numeric" {...bound('maxRetries')} />
            </Field>
          )}
        </div>
        {(errorOf('restart') || errorOf('maxRetries')) && (
          <div className="md:col-span-6">
            {fieldError('restart')}
            {fieldError('maxRetries')}
          </div>
        )}
        <Field className="md:col-span-3" label="Volumes, one per line" error={fieldError('volumes')}>
          <textarea
            className="input font-mono"
            rows={2}
            placeholder={'/srv/site:/www:ro\ndata:/var/lib/data\n/cache'}
            aria-label="volumes"
            {...bound('volumes')}
          />
        </Field>
        <Field className="md:col-span-3" label="Labels, key=value per line">
          <textarea className="input font-mono" rows={2} placeholder="app=web" aria-label="labels" {...bound('labels')} />
        </Field>
        <Field label="CPUs" error={fieldError('cpus')}>
          <input className="input" placeholder="0.5" aria-label="cpus" inputMode="decimal" {...bound('cpus')} />
        </Field>
        <Field label="Memory" error={fieldError('memory')}>
          <input className="input" placeholder="256m" aria-label="memory" {...bound('memory')} />
        </Field>
        <Field label="User">
          <input className="input" placeholder="image default" aria-label="user" {...bound('user')} />
        </Field>
        <Field label="Working dir">
          <input className="input" placeholder="image default" aria-label="working dir" {...bound('workdir')} />
        </Field>
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
      <EnvFields env={form.env} onChange={(rows) => set('env', rows)} error={errorOf('env')} errorId={errorId('env')} />
      {shownErrors.length ? (
        // a command line with the bad values in it would be one the agent refuses: say what to fix instead
        <div className="rounded bg-rose-50 p-2 text-xs text-rose-700 dark:bg-rose-950 dark:text-rose-300" data-testid="run-command-line">
          Fix {shownErrors.length === 1 ? 'this field' : `these ${shownErrors.length} fields`} to see the command:{' '}
          {shownErrors.map((k) => plan.errors[k]).join('; ')}
        </div>
      ) : (
        <code className="block break-all rounded bg-zinc-100 p-2 text-xs text-zinc-600 dark:bg-zinc-900 dark:text-zinc-400" data-testid="run-command-line">
          {plan.commandLine}
        </code>
      )}
      {status && (
        <p className="text-xs" data-testid="run-status">
          {status}
        </p>
      )}
      <p
        role="status"
        className="rounded bg-emerald-50 p-2 text-xs text-emerald-800 empty:p-0 dark:bg-emerald-950 dark:text-emerald-300"
        data-testid="run-started"
      >
        {started && (
          <>
            Started{' '}
            <Link className="font-medium underline" href={`/containers/${started.id}`}>
              {started.name}
            </Link>
            . The form is ready for the next one.
          </>
        )}
      </p>
    </form>
  );
}
