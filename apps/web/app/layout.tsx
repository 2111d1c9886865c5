import type { ReactNode } from 'react';
import './globals.css';
import { Nav } from '../components/nav';

export const metadata = { title: 'Skiff', description: 'containers, your host' };

export default function RootLayout({ children }: { children: ReactNode }) {
  return (
    <html lang="en">
      <body className="min-h-screen">
        <Nav />
        <main className="mx-auto max-w-6xl p-4">{children}</main>
      </body>
    </html>
  );
}
