import type { NextConfig } from 'next';

const config: NextConfig = {
  // the agent runs this app's server in a child process and proxies it on its own port (apps/agent/src/daemon/web.ts)
  poweredByHeader: false,
  reactStrictMode: true,
  // types are checked by `npm run typecheck` (tsc) for the whole workspace, router types included
  typescript: { ignoreBuildErrors: true },
  turbopack: { root: new URL('../..', import.meta.url).pathname },
};

export default config;
