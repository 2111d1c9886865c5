'use client';
import { useMutation, useQueryClient } from '@tanstack/react-query';
import { useRouter } from 'next/navigation';
import { useEffect, useState } from 'react';
import { errorMessage } from '../../lib/errors';
import { useTRPC } from '../../trpc/react';
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
  const login = useMutation(trpc.auth.login.mutationOptions({ onSuccess: () => router.replace('/') }));
  return (
    <form
      className="card mx-auto mt-24 max-w-sm space-y-3"
      onSubmit={(e) => {
        e.preventDefault();
        login.mutate({ username, password });
      }}
    >
      <h1 className="text-lg font-semibold">⛵ Sign in to Skiff</h1>
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
        <p role="alert" className="text-sm text-rose-600">
          {errorMessage(login.error)}
        </p>
      )}
      <button className="btn-primary w-full" disabled={login.isPending}>
        Sign in
      </button>
    </form>
  );
}
