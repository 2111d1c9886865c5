'use client';
import Link from 'next/link';
import { usePathname, useRouter } from 'next/navigation';
import { useMutation } from '@tanstack/react-query';
import { useEffect, useState } from 'react';
import { applyTheme, nextTheme, storedTheme, type Theme } from '../lib/theme';
import { useTRPC } from '../trpc/react';
import { SIGNED_OUT_PAGES, useSession, type Me } from './use-auth';

/** `needs`: what the signed-in user must be allowed (auth.me's `can`) to see the link */
const LINKS: { href: string; label: string; needs?: keyof Pick<Me['can'], 'admin' | 'operate'> }[] = [
  { href: '/', label: 'Home' },
  { href: '/containers', label: 'Containers' },
  { href: '/stacks', label: 'Stacks' },
  { href: '/templates', label: 'Templates' },
  { href: '/images', label: 'Images' },
  { href: '/build', label: 'Build', needs: 'operate' },
  { href: '/volumes', label: 'Volumes' },
  { href: '/networks', label: 'Networks' },
  { href: '/users', label: 'Users' },
  { href: '/registries', label: 'Registries', needs: 'admin' },
  { href: '/audit', label: 'Audit', needs: 'admin' },
];

export function Nav() {
  const path = usePathname();
  const router = useRouter();
  const trpc = useTRPC();
  const { me } = useSession();
  const logout = useMutation(trpc.auth.logout.mutationOptions());
  const [theme, setTheme] = useState<Theme>('system');
  // phones: the links fold behind a menu button; following one closes it
  const [menuOpen, setMenuOpen] = useState(false);
  useEffect(() => setTheme(storedTheme()), []);
  if (SIGNED_OUT_PAGES.includes(path)) return null;
  const active = (href: string) => (href === '/' ? path === '/' : path.startsWith(href));
  // the login page empties the cache: the next user sees nothing of this one's
  const signOut = async () => {
    await logout.mutateAsync().catch((e: unknown) => console.warn('logout failed; leaving for the login page anyway', e));
    router.replace('/login');
  };
  return (
    <header className="border-b border-zinc-200 dark:border-zinc-800">
      <nav className="mx-auto flex max-w-7xl flex-wrap items-center gap-1 p-3 text-sm" aria-label="main">
        <span className="mr-3 flex items-center gap-1 font-semibold">
          <svg viewBox="0 0 16 16" className="h-4 w-4 fill-sky-600" aria-hidden>
            <path d="M8 1 L8 11 L3 11 Z M9 3 L13 11 L9 11 Z M1 12.5 H15 L13 15 H3 Z" />
          </svg>
          Skiff
        </span>
        <span className="flex-1 md:hidden" />
        <button className="btn md:hidden" aria-expanded={menuOpen} aria-controls="main-menu" onClick={() => setMenuOpen((o) => !o)}>
          {menuOpen ? '✕' : '☰'} Menu
        </button>
        <div
          id="main-menu"
          className={`${menuOpen ? 'flex' : 'hidden'} w-full flex-col gap-1 pt-2 md:flex md:w-auto md:flex-1 md:flex-row md:flex-wrap md:items-center md:pt-0`}
        >
          {LINKS.filter((l) => !l.needs || me?.can[l.needs]).map((l) => (
            <Link
              key={l.href}
              href={l.href}
              aria-current={active(l.href) ? 'page' : undefined}
              onClick={() => setMenuOpen(false)}
              className={`rounded px-2 py-1 ${active(l.href) ? 'bg-zinc-200 dark:bg-zinc-800' : 'hover:underline'}`}
            >
              {l.label}
            </Link>
          ))}
          <span className="flex-1" />
          <button
            className="btn"
            // the name says what the button sets and includes its visible word (the glyph is decoration)
            aria-label={`theme: ${theme}`}
            title="light / dark / system"
            onClick={() => {
              const t = nextTheme(theme);
              setTheme(t);
              applyTheme(t);
            }}
          >
            <span aria-hidden>{theme === 'dark' ? '☾' : theme === 'light' ? '☀' : '◐'}</span> {theme}
          </button>
          {me && (
            <>
              <span className="px-2 text-zinc-500" data-testid="whoami">
                {me.username} · {me.role}
              </span>
              <button className="btn" onClick={() => void signOut()}>
                Sign out
              </button>
            </>
          )}
        </div>
      </nav>
    </header>
  );
}
