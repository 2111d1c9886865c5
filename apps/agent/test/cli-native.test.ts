/**
 * The native client (apps/agent/native/client): `skiff` calls that the agent runs in its
 * own process, so a call starts no Node. cli.test.ts runs its whole suite through it too;
 * these are the parts only this path has: no stdin read unless asked, the caller's cwd,
 * a call that ends with its caller, the Node CLI as the fallback, and no CLI over TCP.
 */
import { spawn, spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, readlinkSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { request } from 'node:http';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SKIFF, type AgentHarness } from './agent-harness.js';
import { useAgent } from './use-agent.js';

const CLIENT = resolve(import.meta.dirname, '../dist/skiff-client');
let agent: AgentHarness;
let image: string;
let work: string;

useAgent({ pull: true }, (ctx) => ({ agent, image } = ctx));

beforeAll(() => {
  work = mkdtempSync(join(tmpdir(), 'skiff-native-'));
});

afterAll(() => {
  rmSync(work, { recursive: true, force: true });
});

/** the agent's open sockets: a call's connections back to the agent are among them */
const agentSockets = () =>
  readdirSync(`/proc/${agent.daemon!.pid}/fd`).filter((fd) => {
    try {
      return readlinkSync(`/proc/${agent.daemon!.pid}/fd/${fd}`).startsWith('socket:');
    } catch {
      return false;
    }
  }).length;

/** the agent's socket count once the connections of earlier calls have finished closing */
async function settledSockets(): Promise<number> {
  for (let last = -1; ; await new Promise((r) => setTimeout(r, 200))) {
    const now = agentSockets();
    if (now === last) return now;
    last = now;
  }
}

async function waitFor(cond: () => boolean, ms = 5000): Promise<boolean> {
  for (const end = Date.now() + ms; Date.now() < end; await new Promise((r) => setTimeout(r, 50))) if (cond()) return true;
  return cond();
}

describe('the native client', () => {
  it('is what `skiff` runs: a call in the agent, not a Node process', async () => {
    const events = spawn(SKIFF, ['events'], { env: agent.env, stdio: 'ignore' });
    try {
      await waitFor(() => readlinkSync(`/proc/${events.pid}/exe`) === CLIENT);
      expect(readlinkSync(`/proc/${events.pid}/exe`)).toBe(CLIENT);
    } finally {
      events.kill('SIGKILL');
    }
    // the same output and exit code as the Node CLI
    const cmd = ['run', '--rm', image, 'sh', '-c', 'echo out; echo err >&2; exit 3'];
    const native = agent.cli(cmd);
    const node = agent.cli(cmd, { env: { SKIFF_CLIENT: 'node' } });
    expect(native).toMatchObject({ code: 3, stdout: 'out\n', stderr: 'err\n' });
    expect(node).toEqual(native);
  });

  it('reads stdin only for a command that takes it', () => {
    const r = spawnSync('sh', ['-c', `${SKIFF} ps -q >/dev/null; ${SKIFF} images -q >/dev/null; cat`], {
      env: agent.env,
      input: 'still here\n',
      encoding: 'utf8',
    });
    expect(r.stdout).toBe('still here\n');
    const big = 'x'.repeat(3 << 20);
    const piped = spawnSync(SKIFF, ['run', '--rm', '-i', image, 'wc', '-c'], { env: agent.env, input: big, encoding: 'utf8' });
    expect(piped.stdout.trim()).toBe(String(big.length));
  });

  it("takes relative paths from the caller's directory", () => {
    mkdirSync(join(work, 'data'));
    writeFileSync(join(work, 'data', 'f'), 'from the host\n');
    writeFileSync(join(work, 'vars.env'), 'FROM_FILE=yes\n');
    const r = spawnSync(SKIFF, ['run', '--rm', '-v', './data:/data', '--env-file', 'vars.env', image, 'sh', '-c', 'cat /data/f; echo $FROM_FILE'], {
      cwd: work,
      env: agent.env,
      encoding: 'utf8',
    });
    expect(r.stdout).toBe('from the host\nyes\n');
  });

  it('ends a call whose caller went away', async () => {
    expect(agent.cli(['run', '-d', '--name', 'chatty', image, 'sh', '-c', 'while true; do echo tick; sleep 0.1; done']).code).toBe(0);
    for (const args of [['logs', '-f', 'chatty'], ['events'], ['stats', 'chatty']]) {
      const before = await settledSockets();
      const call = spawn(SKIFF, args, { env: agent.env, stdio: 'ignore' });
      expect(await waitFor(() => agentSockets() > before)).toBe(true);
      await new Promise((r) => setTimeout(r, 300));
      call.kill('SIGKILL');
      expect(await waitFor(() => agentSockets() <= before)).toBe(true);
    }
    expect(agent.cli(['rm', '-f', 'chatty']).code).toBe(0);
  }, 30_000);

  it('hands what it does not serve to the Node CLI', () => {
    const ctr = agent.cli(['create', '--name', 'files', image, 'true']);
    expect(ctr.code).toBe(0);
    writeFileSync(join(work, 'up.txt'), 'uploaded\n');
    expect(agent.cli(['cp', join(work, 'up.txt'), 'files:/up.txt']).code).toBe(0);
    expect(agent.cli(['cp', 'files:/up.txt', join(work, 'down.txt')]).code).toBe(0);
    expect(readFileSync(join(work, 'down.txt'), 'utf8')).toBe('uploaded\n');
    // and with no agent to ask, the Node CLI's own error
    const gone = agent.cli(['ps'], { env: { SKIFF_HOST: `unix://${join(work, 'none.sock')}` } });
    expect(gone.code).toBe(125);
    expect(gone.stderr).toMatch(/cannot connect to the skiff agent/);
    agent.cli(['rm', 'files']);
  });

  it('is not served on the TCP listener', async () => {
    const status = await new Promise<number>((resolvePromise, reject) => {
      const req = request({ host: '127.0.0.1', port: agent.port, path: '/cli', headers: { connection: 'Upgrade', upgrade: 'skiff-cli/1' } });
      req.on('response', (res) => resolvePromise(res.statusCode ?? 0));
      req.on('upgrade', () => resolvePromise(101));
      req.on('error', reject);
      req.end();
    });
    expect(status).toBe(403);
  });
});
