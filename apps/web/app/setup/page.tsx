'use client';
import { useRouter } from 'next/navigation';
import { useState } from 'react';
import { api, errorMessage } from '../../lib/trpc';

/** First start: the agent printed /setup?token=…; this creates the admin. */
export default function SetupPage() {
  const router = useRouter();
  const [username, setUsername] = useState('admin');
  const [password, setPassword] = useState('');
  const [error, setError] = useState('');
  return (
    <form
      className="card mx-auto mt-24 max-w-sm space-y-3"
      onSubmit={async (e) => {
        e.preventDefault();
        const token = new URLSearchParams(location.search).get('token') ?? '';
        try {
          await api().auth.setup.mutate({ token, username, password });
          router.replace('/');
        } catch (err) {
          setError(errorMessage(err));
        }
      }}
    >
      <h1 className="text-lg font-semibold">Create the first admin</h1>
      <input className="input" aria-label="username" value={username} onChange={(e) => setUsername(e.target.value)} />
      <input className="input" aria-label="password" type="password" value={password} onChange={(e) => setPassword(e.target.value)} placeholder="at least 8 characters" />
      {error && <p role="alert" className="text-sm text-rose-600">{error}</p>}
      <button className="btn-primary w-full">Create admin</button>
    </form>
  );
}
