'use client';
import { useMutation, useQueryClient } from '@tanstack/react-query';
import { useRouter } from 'next/navigation';
import { useEffect, useState } from 'react';
import { Logo } from '../../components/logo';
import { errorMessage } from '../../lib/errors';
import { useTRPC, useTRPCClient } from '../../trpc/react';
import { useTitle } from '../../components/use-title';

export default function LoginPage() {
  useTitle('Sign in');
  const trpc = useTRPC();
  const router = useRouter();
  const [username, setUsername] = useState('admin');
  const [password, setPassword] = useState('');
  const queryClient = useQueryClient();
  // signed out (or never in): nothing cached for a previous user stays, the pages that used it are gone
  useEffect(() => queryClient.removeQueries(), [queryClient]);
  const client = useTRPCClient();
  // asked without a 401 (and outside the cache it empties): a signed-in visitor goes home, a fresh agent's to its setup
  const [away, setAway] = useState<string | null>(null);
  useEffect(() => {
    let live = true;
    client.auth.setupNeeded
      .query()
      .then(
        (s) => (s.signedIn ? '/' : s.needed ? '/setup' : ''),
        (e: unknown) => {
          console.warn('asking whether signed in failed; showing the form', e);
          return '';
        },
      )
      .then((to) => {
        if (!live) return;
        setAway(to);
        if (to) router.replace(to);
      });
    return () => {
      live = false;
    };
  }, [client, router]);
  const login = useMutation(trpc.auth.login.mutationOptions({ onSuccess: () => router.replace('/') }));
  if (away !== '') return <p className="mt-24 text-center text-sm text-zinc-500">{away === '/' ? 'Signed in already…' : '…'}</p>;
  return (
    <form
      className="card mx-auto mt-24 max-w-sm space-y-3"
      onSubmit={(e) => {
        e.preventDefault();
        login.mutate({ username, password });
      }}
    >
      <h1 className="flex items-center gap-2 text-lg font-semibold">
        <Logo /> Sign in to Skiff
      </h1>
      <input className="input" aria-label="username" value={username} onChange={(e) => setUsername(e.target.value)} autoComplete="username" />
      <input
        className="input"
        aria-label="password"
        type="password"
        value={password}
        onChange={(e) => setPassword(e.target.value)}
        autoComplete="current-password"
      />
      {login.error && (
        <p role="alert" className="text-sm text-rose-700 dark:text-rose-400">
          {errorMessage(login.error)}
        </p>
      )}
      <button className="btn-primary w-full" disabled={login.isPending}>
        Sign in
      </button>
    </form>
  );
}
