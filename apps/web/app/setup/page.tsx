'use client';
import { useMutation, useQuery } from '@tanstack/react-query';
import Link from 'next/link';
import { useRouter } from 'next/navigation';
import { useState } from 'react';
import { Field } from '../../components/field';
import { Logo } from '../../components/logo';
import { errorMessage } from '../../lib/errors';
import { useTRPC } from '../../trpc/react';
import { useTitle } from '../../components/use-title';

/** First start: the agent printed /setup?token=…; this creates the admin. Once one exists, the link is spent. */
export default function SetupPage() {
  useTitle('Set up');
  const trpc = useTRPC();
  const router = useRouter();
  const [username, setUsername] = useState('admin');
  const [password, setPassword] = useState('');
  const open = useQuery(trpc.auth.setupNeeded.queryOptions());
  const setup = useMutation(trpc.auth.setup.mutationOptions({ onSuccess: () => router.replace('/') }));
  const heading = (
    <h1 className="flex items-center gap-2 text-lg font-semibold">
      <Logo /> Create the first admin
    </h1>
  );
  // after a successful setup the answer turns to "not needed" too: the redirect home is under way then
  if (open.data && !open.data.needed && !setup.isSuccess)
    return (
      <div className="card mx-auto mt-24 max-w-sm space-y-3" data-testid="setup-used">
        {heading}
        <p className="text-sm">This setup link has been used already: Skiff has its admin.</p>
        <Link className="btn-primary inline-block" href={open.data.signedIn ? '/' : '/login'}>
          {open.data.signedIn ? 'Go to the dashboard' : 'Sign in'}
        </Link>
      </div>
    );
  if (open.isPending) return <p className="mt-24 text-center text-sm text-zinc-500">…</p>;
  return (
    <form
      className="card mx-auto mt-24 max-w-sm space-y-3"
      onSubmit={(e) => {
        e.preventDefault();
        const token = new URLSearchParams(location.search).get('token') ?? '';
        setup.mutate({ token, username, password });
      }}
    >
      {heading}
      <Field className="block" label="Username">
        <input className="input" value={username} onChange={(e) => setUsername(e.target.value)} autoComplete="username" required />
      </Field>
      <Field className="block" label="Password">
        <input
          className="input"
          type="password"
          value={password}
          onChange={(e) => setPassword(e.target.value)}
          placeholder="at least 8 characters"
          autoComplete="new-password"
          required
        />
      </Field>
      {setup.error && (
        <p role="alert" className="text-sm text-rose-700 dark:text-rose-400">
          {errorMessage(setup.error)}
        </p>
      )}
      <button className="btn-primary w-full" disabled={setup.isPending}>
        Create admin
      </button>
    </form>
  );
}
