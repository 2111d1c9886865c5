import type { ReactNode } from 'react';
import './globals.css';
import { Nav } from '../components/nav';
import { Toaster } from '../components/toast';
import { THEME_BOOT_SCRIPT } from '../lib/theme';
import { LiveEvents } from '../trpc/live-events';
import { TRPCReactProvider } from '../trpc/react';

// no title here: each page sets its own ("ux-web · Containers · Skiff", components/use-title.ts), and
// Next's metadata title, resolved after the page's effects, put "Skiff" back over it
export const metadata = { description: 'containers, your host' };

export default function RootLayout({ children }: { children: ReactNode }) {
  return (
    // the boot script may add `dark` before React hydrates
    <html lang="en" suppressHydrationWarning>
      <head>
        {/* biome-ignore lint/security/noDangerouslySetInnerHtml: a constant script of ours that sets the theme before the first paint; no input reaches it */}
        <script dangerouslySetInnerHTML={{ __html: THEME_BOOT_SCRIPT }} />
      </head>
      <body className="min-h-screen">
        {/* first in the tab order: keyboard users skip the nav (shown only while focused) */}
        <a
          href="#main"
          className="sr-only rounded bg-white px-3 py-2 text-sm font-medium text-zinc-900 focus:not-sr-only focus:fixed focus:top-2 focus:left-2 focus:z-[70] dark:bg-zinc-900 dark:text-zinc-100"
        >
          Skip to content
        </a>
        <TRPCReactProvider>
          {/* mounted here, not inside the provider's module: it uses the provider's hooks */}
          <LiveEvents />
          <Nav />
          <main id="main" tabIndex={-1} className="mx-auto max-w-7xl p-4 focus:outline-none">
            {children}
          </main>
          <Toaster />
        </TRPCReactProvider>
      </body>
    </html>
  );
}
