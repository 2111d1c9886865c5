import type { ReactNode } from 'react';
import './globals.css';
import { Nav } from '../components/nav';
import { THEME_BOOT_SCRIPT } from '../lib/theme';
import { TRPCReactProvider } from '../trpc/react';

export const metadata = { title: 'Skiff', description: 'containers, your host' };

export default function RootLayout({ children }: { children: ReactNode }) {
  return (
    // the boot script may add `dark` before React hydrates
    <html lang="en" suppressHydrationWarning>
      <head>
        <script dangerouslySetInnerHTML={{ __html: THEME_BOOT_SCRIPT }} />
      </head>
      <body className="min-h-screen">
        <TRPCReactProvider>
          <Nav />
          <main className="mx-auto max-w-7xl p-4">{children}</main>
        </TRPCReactProvider>
      </body>
    </html>
  );
}
