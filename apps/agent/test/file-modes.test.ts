import { spawn, spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { chmodSync, closeSync, existsSync, lstatSync, openSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join, relative } from 'node:path';
import { describe, expect, it } from 'vitest';
import { sweepRuntimeLeftovers } from '@skiff/test-fixtures';
import { SKIFF } from './agent-harness.js';
import { useAgent } from './use-agent.js';

/**
 * Local users must not read the agent's state: the runtime root, the layers (setuid
 * binaries, device nodes), the database (password hashes) and the log (the setup link).
 */
const fx = useAgent({ pull: true });
const GO = 0o077;

/** image, container and volume contents keep their own modes: only the way to them is checked */
const CONTENT = [/^layers\/[^/]+\/fs$/, /^containers\/[^/]+\/(upper|work|rootfs|merged)$/, /^volumes\/[^/]+\/_data$/];

/** can a user other than root (in root's group or not) get through every directory from / down to `path`? */
function reachable(path: string): boolean {
  for (let d = dirname(path); ; d = dirname(d)) {
    if ((statSync(d).mode & 0o011) === 0) return false;
    if (d === '/') return true;
  }
}

/** entries of the root, outside contents, that another local user could read or list */
function exposed(root: string): string[] {
  const out: string[] = [];
  const walk = (dir: string) => {
    for (const name of readdirSync(dir)) {
      const path = join(dir, name);
      const rel = relative(root, path);
      const st = lstatSync(path);
      if (st.isSymbolicLink()) continue;
      const open = st.isDirectory() ? (st.mode & 0o055) !== 0 : (st.mode & 0o044) !== 0;
      if (open && reachable(path)) out.push(`${rel} ${(st.mode & 0o7777).toString(8)}`);
      if (st.isDirectory() && !CONTENT.some((re) => re.test(rel))) walk(path);
    }
  };
  if ((statSync(root).mode & GO) !== 0 && reachable(root)) out.push(`. ${(statSync(root).mode & 0o7777).toString(8)}`);
  walk(root);
  return out;
}

const asNobody = (args: string[]) => spawnSync('runuser', ['-u', 'nobody', '--', ...args], { encoding: 'utf8' });

describe('file modes of the agent state', () => {
  it('leaves nothing under the runtime root readable by other local users', () => {
    const { agent, image } = fx;
    const cli = (args: string[]) => {
      const r = agent.cli(args);
      expect(r.code, `${args.join(' ')}: ${r.stderr}`).toBe(0);
      return r.stdout.trim();
    };
    cli(['volume', 'create', 'fmv']);
    const id = cli([
      'run',
      '-d',
      '--name',
      'fm',
      '-v',
      'fmv:/data',
      image,
      'sh',
      '-c',
      'cp /bin/busybox /tmp/suid && chmod 4755 /tmp/suid && echo x > /data/f && sleep 3600',
    ]);
    for (let i = 0; i < 50 && !cli(['exec', 'fm', 'ls', '/tmp']).includes('suid'); i++) spawnSync('sleep', ['0.1']);
    cli(['commit', 'fm', 'fm-suid:latest']); // a layer with a setuid binary in it
    agent.token('read'); // the database is written (WAL)
    const root = agent.root;
    // the test agent's directory (mkdtemp: 0700) opened up as /var/lib is, so the root's own modes decide
    chmodSync(agent.dir, 0o755);
    expect(exposed(root)).toEqual([]);
    expect(statSync(root).mode & 0o777).toBe(0o700);
    for (const f of ['skiff.db', 'skiff.db-wal', 'skiff.db-shm']) if (existsSync(join(root, f))) expect(statSync(join(root, f)).mode & 0o777, f).toBe(0o600);

    // what an unprivileged user tries: the database, a setuid binary of a layer and of the container
    const layerSuid = readdirSync(join(root, 'layers'))
      .map((l) => join(root, 'layers', l, 'fs/tmp/suid'))
      .find((p) => existsSync(p));
    expect(layerSuid, 'the committed layer holds /tmp/suid').toBeDefined();
    expect(statSync(layerSuid!).mode & 0o4000).toBe(0o4000);
    for (const args of [
      ['cat', join(root, 'skiff.db')],
      [layerSuid!, 'id'],
      [join(root, 'containers', id, 'upper/tmp/suid'), 'id'],
      ['ls', join(root, 'layers')],
    ]) {
      const r = asNobody(args);
      expect(r.status, `nobody ran ${args.join(' ')}: ${r.stdout}`).not.toBe(0);
      expect(r.stderr).toMatch(/Permission denied/);
    }
  }, 120_000);

  it('tightens an existing install at start: root 0711, layers 0755, database 0644', async () => {
    const { agent } = fx;
    const root = agent.root;
    await agent.kill();
    chmodSync(root, 0o711);
    chmodSync(join(root, 'layers'), 0o755);
    chmodSync(join(root, 'skiff.db'), 0o644);
    if (existsSync(join(root, 'skiff.db-wal'))) chmodSync(join(root, 'skiff.db-wal'), 0o644);
    await agent.start();
    expect(statSync(root).mode & 0o777).toBe(0o700);
    expect(statSync(join(root, 'layers')).mode & 0o777).toBe(0o700);
    expect(statSync(join(root, 'skiff.db')).mode & 0o777).toBe(0o600);
    expect(exposed(root)).toEqual([]);
  }, 60_000);

  it('makes the log file it writes to 0600 (it carries the one-time setup link)', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'skiff-log-'));
    const tag = randomBytes(3).toString('hex');
    const env: NodeJS.ProcessEnv & Record<'SKIFF_BRIDGE' | 'SKIFF_NFT_TABLE' | 'SKIFF_CGROUP_PARENT', string> = {
      ...process.env,
      SKIFF_BRIDGE: `skl${tag}`,
      SKIFF_NFT_TABLE: `skiff_l${tag}`,
      SKIFF_CGROUP_PARENT: `skiff-l${tag}`,
    };
    delete env.SKIFF_ADMIN_PASSWORD; // a fresh install prints the setup link
    const log = join(dir, 'agent.log');
    writeFileSync(log, '');
    chmodSync(log, 0o644);
    const fd = openSync(log, 'a');
    const daemon = spawn(
      SKIFF,
      ['daemon', '--root', join(dir, 'root'), '--socket', join(dir, 's.sock'), '--docker-socket', join(dir, 'd.sock'), '--http', '127.0.0.1:0'],
      { stdio: ['ignore', fd, fd], env },
    );
    closeSync(fd);
    try {
      for (let i = 0; i < 300 && !readFileSync(log, 'utf8').includes('ready'); i++) await new Promise((r) => setTimeout(r, 100));
      expect(readFileSync(log, 'utf8')).toMatch(/setup\?token=/);
      expect(statSync(log).mode & 0o777).toBe(0o600);
      expect(asNobody(['cat', log]).status).not.toBe(0);
    } finally {
      const exited = new Promise((r) => daemon.once('exit', r));
      daemon.kill('SIGKILL');
      await exited;
      await sweepRuntimeLeftovers({ root: join(dir, 'root'), bridge: env.SKIFF_BRIDGE, nftTable: env.SKIFF_NFT_TABLE, cgroupParent: env.SKIFF_CGROUP_PARENT });
      await rm(dir, { recursive: true, force: true });
    }
  }, 60_000);
});
