'use client';
import { useMutation, useQuery } from '@tanstack/react-query';
import { useState } from 'react';
import { errorMessage } from '../../lib/errors';
import type { Client } from '../../lib/trpc';
import { useTRPC } from '../../trpc/react';
import { useAction } from '../use-action';
import type { Me } from '../use-auth';
import { ErrorAlert, TableCard, When } from './common';
import { useConfirm } from '../confirm-dialog';

type Token = Awaited<ReturnType<Client['tokens']['list']['query']>>[number];
type Scope = Me['can']['tokenScopes'][number];

/**
 * API tokens: everyone manages their own (admins see and revoke everyone's). The secret is
 * shown once, right after creation.
 */
export function TokensSection({ me }: { me: Me }) {
  const trpc = useTRPC();
  const list = useQuery(trpc.tokens.list.queryOptions());
  const tokens = list.data ?? [];
  const loaded = list.isSuccess;
  const [name, setName] = useState('');
  // the scopes the agent lets this user give a token (auth.me's `can`)
  const scopes = me.can.tokenScopes;
  const [scope, setScope] = useState<Scope>('read');
  const [days, setDays] = useState('');
  const [secret, setSecret] = useState<{ name: string; token: string } | null>(null);
  const [copied, setCopied] = useState(false);
  const action = useAction();
  const confirm = useConfirm();
  const { busy } = action;
  const error = action.error || (list.error ? errorMessage(list.error) : '');
  const isAdmin = me.can.admin;
  const createToken = useMutation(trpc.tokens.create.mutationOptions());
  const revokeToken = useMutation(trpc.tokens.revoke.mutationOptions());

  const create = () =>
    action.run(async () => {
      const t = await createToken.mutateAsync({ name: name.trim(), scopes: [scope], expiresInDays: days ? Number(days) : undefined });
      setSecret({ name: t.name, token: t.token });
      setCopied(false);
      setName('');
      setDays('');
    });

  const revoke = (t: Token) => {
    const of = t.user.username !== me.username ? ` of ${t.user.username}` : '';
    void confirm.ask({
      title: `Revoke token ${t.name}${of}?`,
      body: 'Scripts using it stop working at once.',
      confirm: `Revoke token ${t.name}`,
      run: () => action.run(() => revokeToken.mutateAsync({ id: t.id })),
    });
  };

  const copy = async () => {
    if (!secret) return;
    try {
      await navigator.clipboard.writeText(secret.token);
      setCopied(true);
    } catch {
      // no clipboard permission (plain HTTP on another host): select it for a manual copy
      const el = document.querySelector('[data-testid="new-token-secret"]');
      if (el) window.getSelection()?.selectAllChildren(el);
    }
  };

  return (
    <section className="space-y-3" aria-labelledby="tokens-heading">
      {confirm.dialog}
      <h2 id="tokens-heading" className="text-lg font-semibold">
        API tokens
      </h2>
      <p className="text-sm text-zinc-500">
        For scripts and the CLI over HTTP: send <code className="font-mono">Authorization: Bearer &lt;token&gt;</code>. A token never has more rights than its
        owner.
        {isAdmin && ' As an admin you see everyone’s tokens.'}
      </p>
      <form
        className="card flex flex-wrap items-end gap-2"
        onSubmit={(e) => {
          e.preventDefault();
          void create();
        }}
      >
        <label className="min-w-[12rem] flex-1 text-xs text-zinc-500">
          Name
          <input
            className="input mt-1"
            aria-label="token name"
            placeholder="ci-deploy"
            required
            maxLength={100}
            value={name}
            onChange={(e) => setName(e.target.value)}
          />
        </label>
        <label className="text-xs text-zinc-500">
          Scope
          <select className="input mt-1" aria-label="token scope" value={scope} onChange={(e) => setScope(e.target.value as Scope)}>
            {scopes.map((s) => (
              <option key={s} value={s}>
                {s}
              </option>
            ))}
          </select>
        </label>
        <label className="text-xs text-zinc-500">
          Expires in days (empty: never)
          <input
            className="input mt-1 w-40"
            aria-label="token expiry days"
            type="number"
            min={1}
            max={3650}
            step={1}
            value={days}
            onChange={(e) => setDays(e.target.value)}
          />
        </label>
        <button className="btn-primary" disabled={busy || !name.trim()}>
          Create token
        </button>
      </form>
      {secret && (
        <div className="card space-y-2 border-amber-400 dark:border-amber-700" role="status" aria-label="new token">
          <p className="text-sm font-medium text-amber-700 dark:text-amber-300">
            Copy the token “{secret.name}” now: it is shown only this once and cannot be shown again.
          </p>
          <div className="flex flex-wrap items-center gap-2">
            <code data-testid="new-token-secret" className="flex-1 select-all break-all rounded bg-zinc-100 p-2 font-mono text-xs dark:bg-zinc-800">
              {secret.token}
            </code>
            <button type="button" className="btn" onClick={() => void copy()}>
              {copied ? 'Copied' : 'Copy'}
            </button>
            <button type="button" className="btn" onClick={() => setSecret(null)}>
              Done
            </button>
          </div>
        </div>
      )}
      <ErrorAlert error={error} />
      <TableCard label="API tokens">
        <thead className="text-zinc-500">
          <tr className="[&>th]:px-3 [&>th]:py-2">
            <th>Name</th>
            {isAdmin && <th>User</th>}
            <th>Scopes</th>
            <th>Prefix</th>
            <th>Created</th>
            <th>Last used</th>
            <th>Expires</th>
            <th />
          </tr>
        </thead>
        <tbody>
          {tokens.map((t) => {
            const expired = !!t.expiresAt && Date.parse(t.expiresAt) < Date.now();
            return (
              <tr key={t.id} className="border-t border-zinc-100 dark:border-zinc-800 [&>td]:px-3 [&>td]:py-2">
                <td className="font-medium">{t.name}</td>
                {isAdmin && <td>{t.user.username}</td>}
                <td className="text-xs">{t.scopes.split(',').join(', ')}</td>
                <td className="font-mono text-xs">{t.prefix}…</td>
                <td className="whitespace-nowrap">
                  <When t={t.createdAt} />
                </td>
                <td className="whitespace-nowrap">
                  <When t={t.lastUsedAt} never="never" />
                </td>
                <td className="whitespace-nowrap">
                  {expired ? <span className="text-rose-700 dark:text-rose-400">expired</span> : <When t={t.expiresAt} never="never" />}
                </td>
                <td className="text-right">
                  <button className="btn-danger" onClick={() => revoke(t)}>
                    revoke
                  </button>
                </td>
              </tr>
            );
          })}
        </tbody>
      </TableCard>
      {loaded && !tokens.length && <p className="text-sm text-zinc-500">No API tokens yet.</p>}
    </section>
  );
}
