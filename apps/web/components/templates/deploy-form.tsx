'use client';
import { useQuery } from '@tanstack/react-query';
import Link from 'next/link';
import { useEffect, useRef, useState } from 'react';
import { errorMessage } from '../../lib/errors';
import { pathsForMutation } from '../../trpc/invalidation';
import { useInvalidate, useTRPC, useTRPCClient } from '../../trpc/react';
import { ErrorAlert } from '../admin/common';
import { toast } from '../toast';
import { useAction } from '../use-action';
import { initialValue, ParamField, valuesOf, type FieldValue } from './param-field';

type Line = { kind: string; name: string; status: string };
type Outcome = { name: string; secrets: string[]; generated: string[] };

/**
 * The deploy form of one template, made from its parameters: a stack name, one field per
 * parameter, then `templates.deploy`'s progress streamed below. Generated passwords are
 * named, not shown; an operator reveals them on demand (audited).
 */
export function DeployForm({ catalogue, id, onClose }: { catalogue: string; id: string; onClose: () => void }) {
  const trpc = useTRPC();
  const client = useTRPCClient();
  const invalidate = useInvalidate();
  const q = useQuery(trpc.templates.get.queryOptions({ catalogue, id }));
  const t = q.data;
  const [name, setName] = useState(id.replace(/[^a-z0-9_-]/g, '-'));
  const [form, setForm] = useState<Record<string, FieldValue>>({});
  const [lines, setLines] = useState<Line[]>([]);
  const [status, setStatus] = useState('');
  const [outcome, setOutcome] = useState<Outcome | null>(null);
  const [revealed, setRevealed] = useState<{ key: string; value: string }[] | null>(null);
  const action = useAction();
  const sub = useRef<{ unsubscribe(): void } | undefined>(undefined);
  useEffect(() => () => sub.current?.unsubscribe(), []);
  useEffect(() => {
    if (t) setForm(Object.fromEntries(t.parameters.map((p) => [p.name, initialValue(p)])));
  }, [t]);

  const deploy = () =>
    action.run(async () => {
      if (!t) return;
      setLines([]);
      setOutcome(null);
      setRevealed(null);
      setStatus('Deploying…');
      try {
        await new Promise<void>((resolve, reject) => {
          sub.current = client.templates.deploy.subscribe(
            { catalogue, id, name, values: valuesOf(t.parameters, form) },
            {
              onData: (d) => {
                if ('stack' in d) setOutcome(d.stack);
                else if ('event' in d) setLines((l) => [...l, d.event]);
                else {
                  sub.current?.unsubscribe();
                  resolve();
                }
              },
              onError: reject,
            },
          );
        });
        setStatus('Done');
        toast(`Deployed ${name} from ${t.name}`);
      } catch (e) {
        setStatus('Failed');
        toast(`Deploy of ${name} failed: ${errorMessage(e)}`, 'error');
        throw e;
      } finally {
        void invalidate(pathsForMutation('stacks.deploy'));
      }
    });

  const reveal = () =>
    action.run(async () => {
      if (outcome) setRevealed(await client.templates.revealSecrets.query({ name: outcome.name }));
    });

  if (q.error) return <ErrorAlert error={errorMessage(q.error)} />;
  if (!t) return <p className="text-sm text-zinc-500">Loading…</p>;
  return (
    <section className="card space-y-3" aria-label={`deploy ${t.name}`} data-testid="deploy-form">
      <div className="flex items-center justify-between gap-2">
        <h2 className="font-semibold">Deploy {t.name}</h2>
        <button className="btn" onClick={onClose}>
          Close
        </button>
      </div>
      {t.note && <p className="whitespace-pre-line text-sm text-zinc-600 dark:text-zinc-400">{t.note}</p>}
      <form
        className="grid gap-3 sm:grid-cols-2"
        onSubmit={(e) => {
          e.preventDefault();
          void deploy();
        }}
      >
        <label className="block text-xs text-zinc-500">
          Stack name *
          <input
            className="input mt-1"
            aria-label="stack name"
            required
            pattern="[a-z0-9][a-z0-9_\-]*"
            value={name}
            onChange={(e) => setName(e.target.value)}
          />
        </label>
        {t.parameters.map((p) => (
          <ParamField key={p.name} param={p} value={form[p.name] ?? ''} onChange={(v) => setForm((f) => ({ ...f, [p.name]: v }))} />
        ))}
        <div className="sm:col-span-2">
          <button className="btn-primary" disabled={action.busy}>
            Deploy
          </button>
        </div>
      </form>
      <ErrorAlert error={action.error} />
      {status && (
        <div className="space-y-1" data-testid="template-progress">
          <p className="text-sm font-medium" aria-live="polite" data-testid="template-status">
            {status}
          </p>
          <ul className="font-mono text-xs">
            {lines.map((l, i) => (
              <li key={i}>
                {l.kind} {l.name} {l.status}
              </li>
            ))}
          </ul>
        </div>
      )}
      {outcome && status === 'Done' && (
        <div className="space-y-1 text-sm" data-testid="template-outcome">
          <p>
            Stack{' '}
            <Link className="underline" href={`/stacks/${encodeURIComponent(outcome.name)}`}>
              {outcome.name}
            </Link>{' '}
            is deployed.
          </p>
          {outcome.secrets.length > 0 && (
            <p>
              Sealed secrets: {outcome.secrets.join(', ')}{' '}
              <button className="btn" onClick={() => void reveal()}>
                Reveal secrets
              </button>
            </p>
          )}
          {revealed && (
            <dl className="font-mono text-xs" data-testid="revealed-secrets">
              {revealed.map((s) => (
                <div key={s.key}>
                  <dt className="inline">{s.key}=</dt>
                  <dd className="inline break-all">{s.value}</dd>
                </div>
              ))}
            </dl>
          )}
        </div>
      )}
    </section>
  );
}
