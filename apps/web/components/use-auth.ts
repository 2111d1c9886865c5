'use client';
import { useRouter } from 'next/navigation';
import { useEffect, useState } from 'react';
import { api, isUnauthorized } from '../lib/trpc';

/** The signed-in user, or a redirect to /login (or /setup on a fresh agent). */
export function useMe() {
  const router = useRouter();
  const [me, setMe] = useState<{ username: string; role: string } | null>(null);
  useEffect(() => {
    api()
      .auth.me.query()
      .then(setMe)
      .catch(async (e) => {
        if (!isUnauthorized(e)) return;
        const { needed } = await api().auth.setupNeeded.query().catch(() => ({ needed: false }));
        router.replace(needed ? '/setup' : '/login');
      });
  }, [router]);
  return me;
}
