import type { NextConfig } from 'next';

const config: NextConfig = {
  // a static export (out/), served by the agent itself (apps/agent/src/daemon/web.ts): no
  // Next.js server process; dynamic routes are built once for a placeholder (lib/route-param.ts)
  output: 'export',
  poweredByHeader: false,
  reactStrictMode: true,
  // types are checked by `npm run typecheck` (tsc) for the whole workspace, router types included
  typescript: { ignoreBuildErrors: true },
  turbopack: { root: new URL('../..', import.meta.url).pathname },
};

export default config;
