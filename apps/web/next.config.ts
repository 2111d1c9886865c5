import type { NextConfig } from 'next';

const config: NextConfig = {
  // the agent serves this app in-process on its own port (apps/agent/src/daemon/web.ts)
  poweredByHeader: false,
  reactStrictMode: true,
  // types are checked by `npm run typecheck` (tsc) for the whole workspace, router types included
  typescript: { ignoreBuildErrors: true },
  turbopack: { root: new URL('../..', import.meta.url).pathname },
};

export default config;
