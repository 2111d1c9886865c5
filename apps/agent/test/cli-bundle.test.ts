/**
 * The CLI runs from its esbuild bundle (apps/agent/dist/cli) instead of tsx-transpiled
 * sources: same behaviour, a fraction of the start-up (docs/performance.md, "Start latency").
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { resolve } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';

const agentDir = resolve(import.meta.dirname, '..');
const bin = resolve(agentDir, 'bin/skiff');
const bundle = resolve(agentDir, 'dist/cli/main.js');

beforeAll(() => {
  // `npm run build` makes it; a test run right after an edit rebuilds it
  execFileSync(process.execPath, [resolve(agentDir, 'scripts/bundle-cli.mjs')]);
}, 60_000);

describe('the bundled CLI', () => {
  it('is what bin/skiff runs when it is fresh, with the same output as the sources', () => {
    expect(existsSync(bundle)).toBe(true);
    const traced = spawnSync('bash', ['-x', bin, '--help'], { encoding: 'utf8' });
    expect(traced.status).toBe(0);
    expect(traced.stderr).toContain(`exec node --enable-source-maps ${agentDir}/bin/../dist/cli/main.js`);
    const fromSource = spawnSync(process.execPath, ['--import', 'tsx', resolve(agentDir, 'src/cli/main.ts'), '--help'], { encoding: 'utf8' });
    expect(traced.stdout).toBe(fromSource.stdout);
    // a command that needs the agent fails the same way, with the same exit code
    const env = { ...process.env, SKIFF_HOST: 'unix:///nonexistent/skiff.sock' };
    const a = spawnSync(bin, ['ps'], { encoding: 'utf8', env });
    const b = spawnSync(process.execPath, ['--import', 'tsx', resolve(agentDir, 'src/cli/main.ts'), 'ps'], { encoding: 'utf8', env });
    expect([a.status, a.stderr]).toEqual([b.status, b.stderr]);
    expect(a.status).not.toBe(0);
  });
});
