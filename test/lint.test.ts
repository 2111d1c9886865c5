import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';

const ROOT = join(import.meta.dirname, '..');
/** enough of a report to act on without flooding the test output */
const MAX_REPORT = 20_000;

function run(cmd: string, args: string[]): { code: number | null; out: string } {
  const r = spawnSync(cmd, args, { cwd: ROOT, encoding: 'utf8', maxBuffer: 64 << 20 });
  if (r.error) throw new Error(`${cmd}: ${r.error.message}`);
  const out = `${r.stdout}${r.stderr}`;
  return { code: r.status, out: out.length > MAX_REPORT ? `${out.slice(0, MAX_REPORT)}\n… (${out.length - MAX_REPORT} more characters)` : out };
}

/**
 * The habits a reviewer should not have to point out: Biome's lint rules and formatting
 * (biome.jsonc) over the TypeScript, and clang-format (.clang-format) over the C. Each
 * failure names the command that fixes or shows it.
 */
describe('lint and format', () => {
  it('Biome finds no lint errors and nothing to reformat (npm run lint; npm run format)', () => {
    // `biome ci` is lint + format check, read-only; it also fails on a config it cannot read
    const r = run(join(ROOT, 'node_modules/.bin/biome'), ['ci', '--colors=off', '--max-diagnostics=50', '.']);
    expect(r.out).toMatch(/Checked \d+ files?/); // it ran over the tree, not over nothing
    if (r.code !== 0)
      expect.fail(
        `biome ci failed (exit ${r.code}); see the findings with npm run lint and npm run format:check, fix formatting with npm run format\n${r.out}`,
      );
  });

  it('clang-format has nothing to change in the C sources (npm run format)', () => {
    const r = run('bash', [join(ROOT, 'scripts/clang-format.sh'), '--check']);
    if (r.code !== 0) expect.fail(`clang-format --dry-run found differences (exit ${r.code}); fix them with npm run format\n${r.out}`);
  });
});
