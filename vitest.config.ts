import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['packages/*/test/**/*.test.ts', 'apps/*/test/**/*.test.ts', 'e2e/**/*.test.ts', 'test/**/*.test.ts'],
    // Tests create real cgroups, mounts and processes as root; running files one at a
    // time keeps them from competing for the 2 cores and keeps failures readable.
    fileParallelism: false,
    testTimeout: 120_000,
    // every agent a test starts (the harness, or a bare `skiff daemon`) leaves :80/:443 alone
    // unless it asks for the proxy on a port of its own: agents of parallel runs would fight for them
    env: { SKIFF_PROXY_HTTP: 'off', SKIFF_PROXY_HTTPS: 'off' },
    hookTimeout: 120_000,
    pool: 'forks',
    // see the file: vitest's worker RPC must tolerate tests that block on spawnSync
    poolOptions: { forks: { execArgv: ['--import', new URL('./test-support/patient-timers.mjs', import.meta.url).href] } },
  },
});
