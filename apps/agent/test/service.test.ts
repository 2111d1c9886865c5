import { spawnSync } from 'node:child_process';
import { chmodSync, cpSync, existsSync, mkdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { PrivateAgent } from './private-agent.js';

/**
 * The agent as a service: the systemd unit scripts/service.sh writes, and scripts/start.sh
 * on a host with systemd as PID 1 (a stand-in systemctl runs the unit's ExecStart, since
 * systemd is not PID 1 here) and without (the agent in the background with --log-file).
 */
const REPO = resolve(import.meta.dirname, '../../..');
const STAND_IN = resolve(import.meta.dirname, 'fixtures/systemctl-stand-in.sh');

const cleanups: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});
async function tempDir(): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'skiff-svc-'));
  // a process of the agent still exiting can create a file while the tree goes (ENOTEMPTY): rm retries that
  cleanups.push(() => rm(dir, { recursive: true, force: true, maxRetries: 10, retryDelay: 100 }));
  return dir;
}

const sh = (script: string, args: string[], env: NodeJS.ProcessEnv = process.env) => {
  const r = spawnSync('bash', [script, ...args], { env, encoding: 'utf8', timeout: 120_000 });
  return { code: r.status ?? -1, stdout: r.stdout, stderr: r.stderr };
};

/** systemd's own check of a unit file: exit 0 and not a single warning */
function verify(unitPath: string): void {
  const r = spawnSync('systemd-analyze', ['verify', unitPath], { encoding: 'utf8' });
  expect(`${r.status} ${r.stderr}`.trim(), r.stdout).toBe('0');
}

describe('the systemd unit', () => {
  it('is valid for systemd and keeps containers alive across stops and restarts', async () => {
    const dir = await tempDir();
    const r = sh(join(REPO, 'scripts/service.sh'), ['unit']);
    expect(r.code, r.stderr).toBe(0);
    const unit = join(dir, 'skiff.service');
    writeFileSync(unit, r.stdout);
    verify(unit);
    const keys = r.stdout.split('\n').filter((l) => /^\w+=/.test(l));
    expect(keys).toEqual(
      expect.arrayContaining([
        `ExecStart="${REPO}/skiff" daemon`,
        'KillMode=process',
        'Restart=on-failure',
        'TimeoutStopSec=15',
        'After=network-online.target nftables.service',
        'Wants=network-online.target',
        'EnvironmentFile=-/etc/default/skiff',
        'EnvironmentFile=-/run/skiff/start.env',
        'TasksMax=infinity',
        'Delegate=yes',
        'LimitNOFILE=1048576',
        'WantedBy=multi-user.target',
      ]),
    );
    expect(r.stdout).not.toContain('@SKIFF_');
    expect(keys.filter((k) => k.startsWith('ExecStart='))).toEqual([`ExecStart="${REPO}/skiff" daemon`]); // no --log-file: the journal is the log
  });

  it('quotes a checkout path with spaces and escapes % (a systemd specifier)', async () => {
    const checkout = join(await tempDir(), 'my checkout 100%');
    for (const f of ['scripts/service.sh', 'packaging/systemd/skiff.service']) {
      mkdirSync(join(checkout, f, '..'), { recursive: true });
      cpSync(join(REPO, f), join(checkout, f));
    }
    writeFileSync(join(checkout, 'skiff'), '#!/bin/sh\n');
    chmodSync(join(checkout, 'skiff'), 0o755);
    const r = sh(join(checkout, 'scripts/service.sh'), ['unit']);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toContain(`ExecStart="${checkout.replace('%', '%%')}/skiff" daemon\n`);
    const unit = join(checkout, '..', 'skiff.service');
    writeFileSync(unit, r.stdout);
    verify(unit);
  });

  it('is installed 0644 with daemon-reload and enable, and only where systemd is PID 1', async () => {
    const dir = await tempDir();
    const env = { ...process.env, SKIFF_UNIT_DIR: join(dir, 'units'), SKIFF_SYSTEMCTL: STAND_IN, STAND_IN_DIR: dir };
    expect(sh(join(REPO, 'scripts/service.sh'), ['has-systemd'], { ...env, SKIFF_SYSTEMD_RUN_DIR: join(dir, 'absent') }).code).toBe(1);
    expect(sh(join(REPO, 'scripts/service.sh'), ['has-systemd'], { ...env, SKIFF_SYSTEMD_RUN_DIR: dir }).code).toBe(0);
    // this host: systemd is installed but is not PID 1
    expect(sh(join(REPO, 'scripts/service.sh'), ['has-systemd']).code).toBe(existsSync('/run/systemd/system') ? 0 : 1);
    const r = sh(join(REPO, 'scripts/service.sh'), ['install'], env);
    expect(r.code, r.stderr).toBe(0);
    const unit = join(dir, 'units/skiff.service');
    expect(statSync(unit).mode & 0o777).toBe(0o644);
    expect(readFileSync(unit, 'utf8')).toBe(sh(join(REPO, 'scripts/service.sh'), ['unit']).stdout);
    expect(readFileSync(join(dir, 'calls'), 'utf8')).toBe('daemon-reload\nenable skiff.service\n');
  });
});

describe('scripts/start.sh', () => {
  it('where systemd is PID 1: installs and starts skiff.service, the admin password through a file it removes', async () => {
    const dir = await tempDir();
    const agent = await PrivateAgent.create();
    cleanups.push(() => agent.dispose());
    const password = `p"a$s\`w\\ord ${Date.now()}`;
    const env = {
      ...agent.env,
      SKIFF_START_NO_INSTALL: '1',
      SKIFF_SYSTEMD_RUN_DIR: dir,
      SKIFF_UNIT_DIR: join(dir, 'units'),
      SKIFF_SYSTEMCTL: STAND_IN,
      SKIFF_START_ENV: join(dir, 'start.env'),
      SKIFF_AGENT_LOG: join(dir, 'never.log'),
      STAND_IN_DIR: dir,
      SKIFF_ADMIN_PASSWORD: password,
    };
    const r = sh(join(REPO, 'scripts/start.sh'), [], env);
    expect(r.code, `${r.stdout}${r.stderr}${existsSync(join(dir, 'journal')) ? readFileSync(join(dir, 'journal'), 'utf8') : ''}`).toBe(0);
    expect(r.stdout).toMatch(/agent running/);
    const calls = readFileSync(join(dir, 'calls'), 'utf8').split('\n');
    expect(calls.slice(0, 2)).toEqual(['daemon-reload', 'enable skiff.service']);
    expect(calls).toContain('start skiff.service');
    expect(readFileSync(join(dir, 'units/skiff.service'), 'utf8')).toContain(`ExecStart="${REPO}/skiff" daemon`);
    expect(existsSync(join(dir, 'start.env')), 'the password file is gone once the agent is up').toBe(false);
    expect(existsSync(join(dir, 'never.log')), 'no --log-file under systemd').toBe(false);
    expect(readFileSync(join(dir, 'journal'), 'utf8')).toContain('skiff agent ready on');
    // the admin was made with the password as given, every quote and $ intact
    const login = await fetch(`http://127.0.0.1:${agent.port}/trpc/auth.login`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ username: 'admin', password }),
    });
    expect(login.status).toBe(200);
    // again: the service runs, nothing is started twice
    const again = sh(join(REPO, 'scripts/start.sh'), [], env);
    expect(again.code, again.stderr).toBe(0);
    expect(again.stdout).toMatch(/already running \(skiff\.service\)/);
    expect(readFileSync(join(dir, 'calls'), 'utf8').match(/^start /gm)).toHaveLength(1);
  }, 120_000);

  it('elsewhere: starts the agent in the background with a rotated --log-file and shows this start’s setup link', async () => {
    const agent = await PrivateAgent.create();
    cleanups.push(() => agent.dispose());
    const log = join(agent.dir, 'agent.log');
    // a log just under the 10 MiB rotation size, holding a stale link of an earlier start
    writeFileSync(log, `${'old line\n'.repeat(Math.floor((10 * 1024 * 1024 - 60) / 9))}http://127.0.0.1:1/setup?token=STALE\n`);
    chmodSync(log, 0o644);
    const env = { ...agent.env, SKIFF_START_NO_INSTALL: '1', SKIFF_SYSTEMD_RUN_DIR: join(agent.dir, 'no-systemd'), SKIFF_AGENT_LOG: log };
    const r = sh(join(REPO, 'scripts/start.sh'), [], env);
    expect(r.code, `${r.stdout}${r.stderr}`).toBe(0);
    const link = /create the admin at (http:\/\/\S+\/setup\?token=\S+)/.exec(r.stdout);
    expect(link, r.stdout).not.toBeNull();
    expect(link![1]).not.toContain('STALE');
    expect(link![1]).toContain(`127.0.0.1:${agent.port}`);
    // the agent rotated the full log as it started: this start's lines are in the new file
    expect(existsSync(`${log}.1`)).toBe(true);
    expect(readFileSync(log, 'utf8')).toContain(link![1]);
    for (const f of [log, `${log}.1`]) expect(statSync(f).mode & 0o777, f).toBe(0o600);
    expect(agent.pids()).toHaveLength(1);
    const cmdline = readFileSync(`/proc/${agent.pids()[0]}/cmdline`, 'utf8').split('\0');
    expect(cmdline.slice(-3, -1)).toEqual(['--log-file', log]);
    await agent.waitReady();
  }, 120_000);
});
