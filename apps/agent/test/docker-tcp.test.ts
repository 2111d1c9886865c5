import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { fixtureRegistry, stopFixtureRegistry, freePort } from '@skiff/test-fixtures';
import { AgentHarness } from './agent-harness.js';

let agent: AgentHarness;
let image: string;
let port: number;
let dir: string;

/** the docker CLI over TCP, with a config.json that sends `token` (or nothing) */
function docker(args: string[], token?: string) {
  const config = mkdtempSync(join(dir, 'cfg-'));
  writeFileSync(join(config, 'config.json'), JSON.stringify(token ? { HttpHeaders: { Authorization: `Bearer ${token}` } } : {}));
  const r = spawnSync('docker', ['-H', `tcp://127.0.0.1:${port}`, ...args], {
    env: { ...process.env, DOCKER_CONFIG: config },
    encoding: 'utf8',
    timeout: 60_000,
  });
  return { code: r.status ?? -1, stdout: r.stdout, stderr: r.stderr };
}

beforeAll(async () => {
  const reg = await fixtureRegistry();
  image = `${reg.host}/skiff-test/busybox:latest`;
  port = await freePort();
  agent = await AgentHarness.create([reg.host], { env: { SKIFF_DOCKER_TCP: `127.0.0.1:${port}` } });
  dir = mkdtempSync(join(tmpdir(), 'skiff-dtcp-'));
}, 90_000);

afterAll(async () => {
  await agent?.dispose();
  await stopFixtureRegistry();
  if (dir) rmSync(dir, { recursive: true, force: true });
}, 60_000);

describe('the Docker API on TCP', () => {
  it('takes API tokens only, with the token roles: viewer reads, operator runs', () => {
    const anonymous = docker(['ps']);
    expect(anonymous.code).not.toBe(0);
    expect(anonymous.stderr).toMatch(/needs a Skiff API token/);
    expect(docker(['ps'], 'not-a-token').stderr).toMatch(/invalid, revoked or expired/);

    const viewer = agent.token('read');
    expect(docker(['ps'], viewer)).toMatchObject({ code: 0 });
    const denied = docker(['pull', image], viewer);
    expect(denied.code).not.toBe(0);
    expect(denied.stderr + denied.stdout).toMatch(/needs the operator role/);

    const operator = agent.token('operate');
    expect(docker(['pull', '-q', image], operator).code).toBe(0);
    expect(docker(['run', '--rm', image, 'echo', 'over-tcp'], operator)).toMatchObject({ code: 0, stdout: 'over-tcp\n' });
    // a hijacked stream (exec) is guarded too
    expect(docker(['run', '-d', '--name', 'tcpbox', image, 'sleep', '60'], operator).code).toBe(0);
    expect(docker(['exec', 'tcpbox', 'echo', 'in'], viewer).stderr).toMatch(/needs the operator role/);
    expect(docker(['exec', 'tcpbox', 'echo', 'in'], operator).stdout).toBe('in\n');
    expect(docker(['rm', '-f', 'tcpbox'], operator).code).toBe(0);
  });
  it('events --since replays to a caller below admin, and not the build steps no caller may see', () => {
    const operator = agent.token('operate');
    const viewer = agent.token('read');
    // to the millisecond: the previous test's containers are not in the window
    const since = (Date.now() / 1000).toFixed(3);
    expect(docker(['run', '--name', 'tcpev', image, 'true'], operator).code).toBe(0);
    const ctx = join(dir, 'evctx');
    mkdirSync(ctx);
    writeFileSync(join(ctx, 'Dockerfile'), `FROM ${image}\nRUN echo built > /built\nRUN cat /built\n`);
    expect(docker(['build', '-q', '-t', 'tcp-ev-built:1', ctx], operator)).toMatchObject({ code: 0 });
    expect(docker(['rm', 'tcpev'], operator).code).toBe(0);
    const until = String(Math.floor(Date.now() / 1000) + 1);
    for (const token of [viewer, operator]) {
      const r = docker(['events', '--since', since, '--until', until, '--format', '{{.Type}} {{.Action}} {{.Actor.Attributes.name}}'], token);
      expect(r.code).toBe(0);
      const lines = r.stdout.trim().split('\n');
      expect(lines).toEqual(expect.arrayContaining(['container create tcpev', 'container start tcpev', 'container die tcpev', 'container destroy tcpev']));
      // the build ran two RUN steps in containers of its own: none of them is replayed
      expect(lines.filter((l) => l.startsWith('container ') && !l.endsWith(' tcpev'))).toEqual([]);
    }
  });
});
