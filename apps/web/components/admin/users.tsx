'use client';
import { useMutation, useQuery } from '@tanstack/react-query';
import { useState } from 'react';
import { errorMessage } from '../../lib/errors';
import type { Client } from '../../lib/trpc';
import { useTRPC } from '../../trpc/react';
import { useAction } from '../use-action';
import { ErrorAlert, TableCard, When } from './common';
import { useConfirm } from '../confirm-dialog';

type User = Awaited<ReturnType<Client['users']['list']['query']>>[number];
type Role = Parameters<Client['users']['create']['mutate']>[0]['role'];
const ROLES: Role[] = ['viewer', 'operator', 'admin'];

/** User management (admins only: the page shows this section to admins alone). */
export function UsersSection({ me }: { me: { username: string } }) {
  const trpc = useTRPC();
  const list = useQuery(trpc.users.list.queryOptions());
  const users = list.data ?? [];
  const [username, setUsername] = useState('');
  const [password, setPassword] = useState('');
  const [role, setRole] = useState<Role>('viewer');
  const [resetFor, setResetFor] = useState<string | null>(null);
  const [newPassword, setNewPassword] = useState('');
  const action = useAction();
  const confirm = useConfirm();
  const { notice, busy } = action;
  const error = action.error || (list.error ? errorMessage(list.error) : '');
  const createUser = useMutation(trpc.users.create.mutationOptions());
  const updateUser = useMutation(trpc.users.update.mutationOptions());
  const removeUser = useMutation(trpc.users.remove.mutationOptions());
  const { run } = action;

  const create = async () => {
    const name = username.trim();
    if (await run(() => createUser.mutateAsync({ username: name, password, role }), `User ${name} created.`)) {
      setUsername('');
      setPassword('');
      setRole('viewer');
    }
  };

  const remove = (u: User) =>
    void confirm.ask({
      title: `Remove user ${u.username}?`,
      body: 'Their sessions and API tokens end at once.',
      confirm: `Remove user ${u.username}`,
      run: () => run(() => removeUser.mutateAsync({ username: u.username }), `User ${u.username} removed.`),
    });

  // the select shows the stored role until the change is confirmed and made
  const changeRole = (u: User, to: Role) =>
    void confirm.ask({
      title: `Make ${u.username} ${to === 'admin' ? 'an' : 'a'} ${to}?`,
      body: `${u.username} is ${u.role === 'admin' ? 'an' : 'a'} ${u.role} now. Their sessions end; they sign in again with the new role.`,
      confirm: `Change the role of ${u.username} to ${to}`,
      run: () => run(() => updateUser.mutateAsync({ username: u.username, role: to }), `${u.username} is now ${to}; their sessions ended.`),
    });

  const disable = (u: User) =>
    void confirm.ask({
      title: `Disable user ${u.username}?`,
      body: 'Their sessions and API tokens stop working until an admin enables them again.',
      confirm: `Disable user ${u.username}`,
      run: () => run(() => updateUser.mutateAsync({ username: u.username, disabled: true }), `${u.username} disabled.`),
    });

  const resetPassword = async (name: string) => {
    if (await run(() => updateUser.mutateAsync({ username: name, password: newPassword }), `Password of ${name} reset; their sessions ended.`)) {
      setResetFor(null);
      setNewPassword('');
    }
  };

  return (
    <section className="space-y-3" aria-labelledby="users-heading">
      {confirm.dialog}
      <h2 id="users-heading" className="text-lg font-semibold">
        Users
      </h2>
      <form
        className="card flex flex-wrap items-end gap-2"
        onSubmit={(e) => {
          e.preventDefault();
          void create();
        }}
      >
        <label className="min-w-[10rem] flex-1 text-xs text-zinc-500">
          User name
          <input
            className="input mt-1"
            aria-label="new username"
            required
            maxLength={64}
            autoComplete="off"
            value={username}
            onChange={(e) => setUsername(e.target.value)}
          />
        </label>
        <label className="min-w-[10rem] flex-1 text-xs text-zinc-500">
          Password (8+ characters)
          <input
            className="input mt-1"
            aria-label="new password"
            type="password"
            required
            autoComplete="new-password"
            value={password}
            onChange={(e) => setPassword(e.target.value)}
          />
        </label>
        <label className="text-xs text-zinc-500">
          Role
          <select className="input mt-1" aria-label="role" value={role} onChange={(e) => setRole(e.target.value as Role)}>
            {ROLES.map((r) => (
              <option key={r} value={r}>
                {r}
              </option>
            ))}
          </select>
        </label>
        <button className="btn-primary" disabled={busy}>
          Create user
        </button>
      </form>
      <ErrorAlert error={error} />
      {notice && (
        <p role="status" className="text-sm text-emerald-700 dark:text-emerald-400">
          {notice}
        </p>
      )}
      <TableCard label="users">
        <thead className="text-zinc-500">
          <tr className="[&>th]:px-3 [&>th]:py-2">
            <th>User</th>
            <th>Role</th>
            <th>Created</th>
            <th />
          </tr>
        </thead>
        <tbody>
          {users.map((u) => {
            const self = u.username === me.username;
            return (
              <tr key={u.id} data-testid={`user-${u.username}`} className="border-t border-zinc-100 align-top dark:border-zinc-800 [&>td]:px-3 [&>td]:py-2">
                <td className="font-medium">
                  {u.username}
                  {self && <span className="ml-2 text-xs text-zinc-500">(you)</span>}
                  {u.disabled && <span className="ml-2 rounded bg-zinc-200 px-1 text-xs dark:bg-zinc-800">disabled</span>}
                </td>
                <td>
                  <select
                    className="input w-32"
                    aria-label={`role of ${u.username}`}
                    value={u.role}
                    // demoting yourself would lock you out of this page
                    disabled={busy || self}
                    title={self ? 'another admin changes your role' : undefined}
                    onChange={(e) => changeRole(u, e.target.value as Role)}
                  >
                    {ROLES.map((r) => (
                      <option key={r} value={r}>
                        {r}
                      </option>
                    ))}
                  </select>
                </td>
                <td className="whitespace-nowrap">
                  <When t={u.createdAt} />
                </td>
                <td className="text-right">
                  {resetFor === u.username ? (
                    <form
                      className="inline-flex flex-wrap justify-end gap-1"
                      onSubmit={(e) => {
                        e.preventDefault();
                        void resetPassword(u.username);
                      }}
                    >
                      <input
                        className="input w-44"
                        type="password"
                        aria-label={`new password for ${u.username}`}
                        placeholder="new password"
                        autoComplete="new-password"
                        required
                        value={newPassword}
                        onChange={(e) => setNewPassword(e.target.value)}
                      />
                      <button className="btn-primary" disabled={busy}>
                        Set
                      </button>
                      <button type="button" className="btn" onClick={() => setResetFor(null)}>
                        Cancel
                      </button>
                    </form>
                  ) : (
                    <span className="inline-flex flex-wrap justify-end gap-1">
                      <button
                        className="btn"
                        disabled={busy}
                        onClick={() => {
                          setResetFor(u.username);
                          setNewPassword('');
                        }}
                      >
                        reset password
                      </button>
                      {!self && (
                        <button
                          className="btn"
                          disabled={busy}
                          onClick={() =>
                            u.disabled
                              ? void run(() => updateUser.mutateAsync({ username: u.username, disabled: false }), `${u.username} enabled.`)
                              : disable(u)
                          }
                        >
                          {u.disabled ? 'enable' : 'disable'}
                        </button>
                      )}
                      {!self && (
                        <button className="btn-danger" disabled={busy} onClick={() => remove(u)}>
                          remove
                        </button>
                      )}
                    </span>
                  )}
                </td>
              </tr>
            );
          })}
        </tbody>
      </TableCard>
    </section>
  );
}
