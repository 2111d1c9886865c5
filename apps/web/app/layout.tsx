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
        <TRPCReactProvider>
          {/* mounted here, not inside the provider's module: it uses the provider's hooks */}
          <LiveEvents />
          <Nav />
          <main className="mx-auto max-w-7xl p-4">{children}</main>
          <Toaster />
        </TRPCReactProvider>
      </body>
    </html>
  );
}
