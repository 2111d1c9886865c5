'use client';
import { useMutation } from '@tanstack/react-query';
import { useRouter } from 'next/navigation';
import { useState } from 'react';
import { errorMessage } from '../../lib/errors';
import { useTRPC } from '../../trpc/react';
import { useTitle } from '../../components/use-title';

/** First start: the agent printed /setup?token=…; this creates the admin. */
export default function SetupPage() {
  useTitle('Set up');
  const trpc = useTRPC();
  const router = useRouter();
  const [username, setUsername] = useState('admin');
  const [password, setPassword] = useState('');
  const setup = useMutation(trpc.auth.setup.mutationOptions({ onSuccess: () => router.replace('/') }));
  return (
    <form
      className="card mx-auto mt-24 max-w-sm space-y-3"
      onSubmit={(e) => {
        e.preventDefault();
        const token = new URLSearchParams(location.search).get('token') ?? '';
        setup.mutate({ token, username, password });
      }}
    >
      <h1 className="text-lg font-semibold">Create the first admin</h1>
      <input className="input" aria-label="username" value={username} onChange={(e) => setUsername(e.target.value)} />
      <input
        className="input"
        aria-label="password"
        type="password"
        value={password}
        onChange={(e) => setPassword(e.target.value)}
        placeholder="at least 8 characters"
      />
      {setup.error && (
        <p role="alert" className="text-sm text-rose-600">
          {errorMessage(setup.error)}
        </p>
      )}
      <button className="btn-primary w-full">Create admin</button>
    </form>
  );
}
