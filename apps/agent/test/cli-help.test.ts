import { PassThrough, Readable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { COMMANDS } from '../src/cli/help-text.js';
import { withIo } from '../src/cli/io.js';
import { runCli } from '../src/cli/run-cli.js';

// `skiff COMMAND --help` as docker prints it: usage, description, every flag the command's
// parser takes with its help, exit 0, and no agent needed (none is running here).

async function cli(argv: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  const stdout = new PassThrough();
  const stderr = new PassThrough();
  let out = '';
  let err = '';
  stdout.on('data', (d: Buffer) => (out += d.toString()));
  stderr.on('data', (d: Buffer) => (err += d.toString()));
  const code = await withIo(
    { stdin: Readable.from([]), stdout, stderr, cwd: process.cwd(), env: { SKIFF_HOST: 'unix:///nonexistent/skiff-help-test.sock' }, exit: () => {} },
    () => runCli(argv),
  );
  return { code, stdout: out, stderr: err };
}

/** the option lines of a help text: [flag part, help] */
function optionLines(text: string): [string, string][] {
  const opts = text.split('\nOptions:\n')[1]?.split('\n\n')[0] ?? '';
  return opts
    .split('\n')
    .filter((l) => /^ {2}(-\w, |\s{4})--/.test(l))
    .map((l) => {
      const m = /^ {2}(.*?--[\w-]+(?: \w+)?)\s+(.*)$/.exec(l);
      return [m?.[1] ?? l.trim(), m?.[2] ?? ''];
    });
}

describe('per-command --help', () => {
  it("ps --help: docker's layout, the flags the parser takes, exit 0 without an agent", async () => {
    const r = await cli(['ps', '--help']);
    expect(r).toMatchObject({ code: 0, stderr: '' });
    expect(r.stdout.startsWith('\nUsage:  skiff ps [OPTIONS]\n\nList containers\n\nOptions:\n')).toBe(true);
    expect(r.stdout).toContain('  -a, --all             Show all');
    expect(r.stdout).toContain("      --format string   Format output using a custom template:\n                        'table':");
    expect(r.stdout).toContain('  -q, --quiet           Only display IDs\n');
    // -h is help where no flag takes it; the same text
    expect((await cli(['ps', '-h'])).stdout).toBe(r.stdout);
    expect((await cli(['container', 'ls', '--help'])).stdout).toBe(r.stdout);
  });

  it('every command and subcommand has usage, description and help for each flag', async () => {
    const missing: string[] = [];
    const names = Object.keys(COMMANDS).filter((c) => !['compose', 'network', 'volume', 'system', 'user', 'token'].includes(c));
    for (const name of names) {
      const r = await cli([...name.split(' '), '--help']);
      const [usage, description] = COMMANDS[name]!;
      if (r.code !== 0 || r.stderr) missing.push(`${name}: exit ${r.code} ${r.stderr}`);
      else if (!r.stdout.startsWith(`\nUsage:  skiff ${name} ${usage}\n\n${description}\n`)) missing.push(`${name}: ${r.stdout.slice(0, 80)}`);
      for (const [flag, help] of optionLines(r.stdout)) if (!help) missing.push(`${name} ${flag}`);
    }
    expect(missing).toEqual([]);
  }, 60_000);

  it('run: -h is --hostname there, --help is help; flags after the image belong to the command', async () => {
    const r = await cli(['run', '--help']);
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('  -h, --hostname string');
    expect(r.stdout).toMatch(/ {2}-e, --env list {2,}Set environment variables\n/);
    expect(r.stdout).toMatch(/ {2}-m, --memory bytes {2,}Memory limit\n/);
    // `run IMAGE --help` runs --help in the container: that needs the agent, which is not there
    expect(await cli(['run', 'busybox', '--help'])).toMatchObject({ code: 125, stderr: expect.stringContaining('cannot connect to the skiff agent') });
    expect(await cli(['run', '-h', 'box', 'busybox'])).toMatchObject({ code: 125, stderr: expect.stringContaining('cannot connect to the skiff agent') });
  });

  it('groups list their commands; compose subcommands have their own help', async () => {
    for (const group of ['network', 'volume', 'system', 'user', 'token']) {
      const r = await cli([group, '--help']);
      expect(r.code, group).toBe(0);
      expect(r.stdout, group).toContain(`Usage:  skiff ${group} COMMAND\n`);
      expect(r.stdout, group).toContain('\nCommands:\n');
    }
    const net = await cli(['network', '--help']);
    expect(net.stdout).toContain('\n  create       Create a network\n');
    const up = await cli(['compose', 'up', '--help']);
    expect(up).toMatchObject({ code: 0 });
    expect(up.stdout).toContain('Usage:  skiff compose up [OPTIONS] [SERVICE...]\n\nCreate and start containers\n');
    expect(up.stdout).toContain('      --remove-orphans   Remove containers for services not defined in the Compose file\n');
    const compose = await cli(['compose', '--help']);
    expect(compose.stdout).toContain('  -f, --file list');
    expect(compose.stdout).toMatch(/\n {2}up {2,}Create and start containers\n/);
  });

  it("unknown flags keep docker's message and exit 125", async () => {
    const r = await cli(['network', 'create', '--bogus', 'x']);
    expect(r).toMatchObject({ code: 125, stderr: "skiff: unknown flag: --bogus\nSee 'skiff network create --help'.\n" });
  });
});
