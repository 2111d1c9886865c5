'use client';
import { useMutation, useQuery } from '@tanstack/react-query';
import { useState } from 'react';
import { AdminsOnly, ErrorAlert, TableCard, When } from '../../components/admin/common';
import { useAction } from '../../components/use-action';
import { useMe } from '../../components/use-auth';
import { errorMessage } from '../../lib/errors';
import type { Client } from '../../lib/trpc';
import { useTRPC } from '../../trpc/react';
import { useConfirm } from '../../components/confirm-dialog';
import { useTitle } from '../../components/use-title';

type Credential = Awaited<ReturnType<Client['registries']['list']['query']>>[number];

export default function RegistriesPage() {
  useTitle('Registries');
  const me = useMe();
  if (!me) return null;
  if (!me.can.admin) return <AdminsOnly what="registry credentials are for admins" />;
  return <Registries />;
}

/** Stored registry logins (the agent keeps the password encrypted and never returns it). */
function Registries() {
  const trpc = useTRPC();
  const query = useQuery(trpc.registries.list.queryOptions());
  const list = query.data ?? [];
  const loaded = query.isSuccess;
  const [registry, setRegistry] = useState('');
  const [username, setUsername] = useState('');
  const [password, setPassword] = useState('');
  const action = useAction();
  const confirm = useConfirm();
  const { notice, busy } = action;
  const error = action.error || (query.error ? errorMessage(query.error) : '');
  const loginM = useMutation(trpc.registries.login.mutationOptions());
  const logoutM = useMutation(trpc.registries.logout.mutationOptions());

  const login = () =>
    action.run(
      async () => {
        const r = await loginM.mutateAsync({ registry: registry.trim(), username: username.trim(), password });
        setRegistry('');
        setUsername('');
        setPassword('');
        return r;
      },
      (r) => `Credentials for ${r.registry} stored; pulls and pushes use them.`,
    );

  const logout = (c: Credential) =>
    void confirm.ask({
      title: `Forget the credentials for ${c.registry}?`,
      body: 'Pulls and pushes to it go without a login until you sign in again.',
      confirm: `Remove registry login ${c.registry}`,
      run: () => action.run(() => logoutM.mutateAsync({ registry: c.registry })),
    });

  return (
    <div className="space-y-3">
      {confirm.dialog}
      <h1 className="text-lg font-semibold">Registries</h1>
      <form
        className="card flex flex-wrap items-end gap-2"
        onSubmit={(e) => {
          e.preventDefault();
          void login();
        }}
      >
        <label className="min-w-[12rem] flex-1 text-xs text-zinc-500">
          Registry
          <input
            className="input mt-1"
            aria-label="registry"
            placeholder="registry.example.com:5000 or docker.io"
            required
            value={registry}
            onChange={(e) => setRegistry(e.target.value)}
          />
        </label>
        <label className="min-w-[10rem] flex-1 text-xs text-zinc-500">
          User name
          <input
            className="input mt-1"
            aria-label="registry username"
            required
            autoComplete="off"
            value={username}
            onChange={(e) => setUsername(e.target.value)}
          />
        </label>
        <label className="min-w-[10rem] flex-1 text-xs text-zinc-500">
          Password or access token
          <input
            className="input mt-1"
            aria-label="registry password"
            type="password"
            required
            autoComplete="new-password"
            value={password}
            onChange={(e) => setPassword(e.target.value)}
          />
        </label>
        <button className="btn-primary" disabled={busy}>
          Log in
        </button>
      </form>
      <ErrorAlert error={error} />
      {notice && (
        <p role="status" className="text-sm text-emerald-700 dark:text-emerald-400">
          {notice}
        </p>
      )}
      <TableCard label="registry credentials">
        <thead className="text-zinc-500">
          <tr className="[&>th]:px-3 [&>th]:py-2">
            <th>Registry</th>
            <th>User name</th>
            <th>Stored</th>
            <th />
          </tr>
        </thead>
        <tbody>
          {list.map((c) => (
            <tr key={c.registry} data-testid={`registry-${c.registry}`} className="border-t border-zinc-100 dark:border-zinc-800 [&>td]:px-3 [&>td]:py-2">
              <td className="font-mono text-xs">{c.registry}</td>
              <td>{c.username}</td>
              <td className="whitespace-nowrap">
                <When t={c.updatedAt} />
              </td>
              <td className="text-right">
                <button className="btn-danger" onClick={() => logout(c)}>
                  Log out
                </button>
              </td>
            </tr>
          ))}
        </tbody>
      </TableCard>
      {loaded && !list.length && <p className="text-sm text-zinc-500">No registry logins stored: pulls are anonymous.</p>}
    </div>
  );
}
