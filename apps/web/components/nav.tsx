'use client';
import Link from 'next/link';
import { usePathname } from 'next/navigation';

export function Nav() {
  const path = usePathname();
  if (path === '/login' || path === '/setup') return null;
  const item = (href: string, label: string) => (
    <Link href={href} className={`px-2 py-1 rounded ${path === href ? 'bg-zinc-200 dark:bg-zinc-800' : 'hover:underline'}`}>
      {label}
    </Link>
  );
  return (
    <header className="border-b border-zinc-200 dark:border-zinc-800">
      <nav className="mx-auto flex max-w-6xl items-center gap-2 p-3 text-sm">
        <span className="mr-4 font-semibold">⛵ Skiff</span>
        {item('/', 'Containers')}
        {item('/images', 'Images')}
        {item('/volumes', 'Volumes')}
        {item('/networks', 'Networks')}
        <span className="flex-1" />
        <button className="btn" onClick={() => document.documentElement.classList.toggle('dark')}>
          theme
        </button>
      </nav>
    </header>
  );
}
