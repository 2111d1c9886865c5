/**
 * The CLI and the agent run from their esbuild bundles (apps/agent/dist/cli, dist/daemon)
 * instead of tsx-transpiled sources: same behaviour, a fraction of the start-up
 * (docs/performance.md, "Start latency") and, for the agent, less memory ("Density").
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, resolve } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';

const agentDir = resolve(import.meta.dirname, '..');
const bin = resolve(agentDir, 'bin/skiff');
const bundle = resolve(agentDir, 'dist/cli/main.js');
const daemonBundle = resolve(agentDir, 'dist/daemon/main.js');
const repo = resolve(agentDir, '../..');

/** the code of a bundle: its entry and every chunk it loads, statically or not (chunks of earlier builds stay a day) */
function bundleCode(dir: string): string {
  const seen = new Map<string, string>();
  const visit = (file: string) => {
    if (seen.has(file)) return;
    const code = readFileSync(file, 'utf8');
    seen.set(file, code);
    // chunk names end in esbuild's content hash (bundle.mjs: chunks/[name]-[hash])
    for (const m of code.matchAll(/["'](\.\.?\/[^"']+-[A-Z0-9]{8}\.js)["']/g)) visit(resolve(dirname(file), m[1]!));
  };
  visit(resolve(dir, 'main.js'));
  return [...seen.values()].join('');
}

beforeAll(() => {
  // `npm run build` makes it; a test run right after an edit rebuilds it
  execFileSync(process.execPath, [resolve(agentDir, 'scripts/bundle.mjs')]);
}, 60_000);

describe('the bundled agent', () => {
  it('is what bin/skiff runs for `skiff daemon`, with its memory flags, and leaves npm packages to node_modules', () => {
    const traced = spawnSync('bash', ['-x', bin, 'daemon', '--help'], { encoding: 'utf8' });
    expect(traced.stderr).toContain(
      `exec node --liftoff-only --max-semi-space-size=2 --initial-old-space-size=48 --heap-growing-percent=50 --expose-gc ${daemonBundle} daemon --help`,
    );
    // the same answer as the sources (the usage, on stdout, exit 0)
    const bundled = spawnSync(bin, ['daemon', '--help'], { encoding: 'utf8' });
    const fromSource = spawnSync(process.execPath, ['--import', 'tsx', resolve(agentDir, 'src/cli/main.ts'), 'daemon', '--help'], { encoding: 'utf8' });
    expect([bundled.status, bundled.stdout, bundled.stderr]).toEqual([fromSource.status, fromSource.stdout, fromSource.stderr]);
    expect([bundled.status, bundled.stdout]).toEqual([0, expect.stringContaining('usage: skiff daemon')]);
    // Prisma and better-sqlite3 find their own files next to theirs: not inlined
    const code = bundleCode(resolve(agentDir, 'dist/daemon'));
    expect(code).toMatch(/from "@prisma\/adapter-better-sqlite3"/);
    expect(code).toContain('serveCliCall');
  });
});

describe('the bundled CLI', () => {
  it('is what bin/skiff runs when it is fresh, with the same output as the sources', () => {
    expect(existsSync(bundle)).toBe(true);
    // (SKIFF_CLIENT=node: the Node CLI, not the native client that hands calls to the agent)
    const traced = spawnSync('bash', ['-x', bin, '--help'], { encoding: 'utf8', env: { ...process.env, SKIFF_CLIENT: 'node' } });
    expect(traced.status).toBe(0);
    expect(traced.stderr).toContain(`exec node ${bundle} --help`);
    const fromSource = spawnSync(process.execPath, ['--import', 'tsx', resolve(agentDir, 'src/cli/main.ts'), '--help'], { encoding: 'utf8' });
    expect(traced.stdout).toBe(fromSource.stdout);
    // a command that needs the agent fails the same way, with the same exit code
    const env = { ...process.env, SKIFF_HOST: 'unix:///nonexistent/skiff.sock', SKIFF_CLIENT: 'node' };
    const a = spawnSync(bin, ['ps'], { encoding: 'utf8', env });
    const b = spawnSync(process.execPath, ['--import', 'tsx', resolve(agentDir, 'src/cli/main.ts'), 'ps'], { encoding: 'utf8', env });
    expect([a.status, a.stderr]).toEqual([b.status, b.stderr]);
    expect(a.status).not.toBe(0);
  });

  it("loads a command's code only when that command runs", () => {
    // what main.js imports before any command is chosen: itself and the chunks it names statically
    const seen = new Set<string>();
    const visit = (file: string) => {
      if (seen.has(file)) return;
      seen.add(file);
      for (const m of readFileSync(file, 'utf8').matchAll(/^import .* from "(\.[^"]+)";$/gm)) visit(resolve(dirname(file), m[1]!));
    };
    visit(bundle);
    const eager = [...seen].map((f) => readFileSync(f, 'utf8')).join('');
    // yaml (compose) and the Dockerfile parser (build) are most of the CLI's code
    expect(eager).not.toContain('YAMLParseError');
    expect(eager).not.toContain('DockerfileParser');
    expect(eager.length).toBeLessThan(400_000);
  });

  it('is found through the repo-root wrapper, a symlink and relative paths alike', () => {
    const link = resolve(mkdtempSync(resolve(tmpdir(), 'skiff-bin-')), 'skiff');
    symlinkSync(bin, link);
    for (const [cwd, cmd] of [
      [repo, './skiff'],
      [repo, './apps/agent/bin/skiff'],
      [resolve(repo, 'apps'), '../skiff'],
      ['/tmp', resolve(repo, 'skiff')],
      ['/tmp', link],
    ] as const) {
      // SHELLOPTS=xtrace traces the wrapper that bin/skiff is exec'd from, too
      const traced = spawnSync(cmd, ['--version'], { encoding: 'utf8', cwd, env: { ...process.env, SHELLOPTS: 'xtrace', SKIFF_CLIENT: 'node' } });
      expect(traced.status, `${cwd} ${cmd}`).toBe(0);
      expect(traced.stderr, `${cwd} ${cmd}`).toContain(`exec node ${bundle} --version`);
      // without SKIFF_CLIENT=node, the native client (which hands the call to an agent, or back to the Node CLI)
      const native = spawnSync(cmd, ['--version'], {
        encoding: 'utf8',
        cwd,
        env: { ...process.env, SHELLOPTS: 'xtrace', SKIFF_HOST: 'unix:///nonexistent/skiff.sock' },
      });
      expect(native.stderr, `${cwd} ${cmd}`).toMatch(/exec \S*apps\/agent\/dist\/skiff-client --version/);
      expect(native.stdout).toBe(traced.stdout);
    }
    rmSync(dirname(link), { recursive: true, force: true });
  });
});

describe('a bundle built in another checkout', () => {
  it('holds no path of the checkout it was built in', () => {
    for (const dir of ['dist/cli', 'dist/daemon']) expect(bundleCode(resolve(agentDir, dir))).not.toContain(repo);
  });

  it('is what bin/skiff runs there (turbo replays dist/ across checkouts and worktrees)', () => {
    // another checkout: bin/skiff and dist/ as the replay writes them, the sources linked
    const other = mkdtempSync(resolve(tmpdir(), 'skiff-replay-'));
    try {
      mkdirSync(resolve(other, 'apps/agent'), { recursive: true });
      cpSync(resolve(agentDir, 'bin'), resolve(other, 'apps/agent/bin'), { recursive: true });
      cpSync(resolve(agentDir, 'dist'), resolve(other, 'apps/agent/dist'), { recursive: true });
      for (const part of ['node_modules', 'packages', 'apps/agent/src', 'apps/agent/node_modules'])
        if (existsSync(resolve(repo, part))) symlinkSync(resolve(repo, part), resolve(other, part));
      const otherBin = resolve(other, 'apps/agent/bin/skiff');
      const env = { ...process.env, SKIFF_CLIENT: 'node', SKIFF_HOST: 'unix:///nonexistent/skiff.sock' };
      for (const [args, bundled] of [
        [['--help'], resolve(other, 'apps/agent/dist/cli/main.js')],
        [['daemon', '--help'], resolve(other, 'apps/agent/dist/daemon/main.js')],
      ] as const) {
        const traced = spawnSync('bash', ['-x', otherBin, ...args], { encoding: 'utf8', env });
        expect(traced.stderr, args.join(' ')).toContain(`${bundled} ${args.join(' ')}\n`);
        const fromSource = spawnSync(process.execPath, ['--import', 'tsx', resolve(agentDir, 'src/cli/main.ts'), ...args], { encoding: 'utf8', env });
        expect([traced.status, traced.stdout], args.join(' ')).toEqual([fromSource.status, fromSource.stdout]);
        expect(traced.status).toBe(0);
      }
    } finally {
      rmSync(other, { recursive: true, force: true });
    }
  });
});
