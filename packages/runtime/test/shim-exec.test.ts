/**
 * skiff-shim on its own (see shim.test.ts): the minimal init, exec into a running
 * container, network namespaces, exec terminals and cgroups.
 */
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { SHIM_PATH } from '../src/native/paths.js';
import { alive, cgroupDirs, container, env, execIn, formatConf, logOf, pidsToKill, run, sh, start, useShimHarness, waitExit } from './shim-harness.js';

useShimHarness();

describe('init, exec and signals', () => {
  it('runs a minimal init as PID 1 that forwards signals and returns the child status', async () => {
    const dir = await container({
      init: 1,
      arg: sh('echo "sh=$$"; tr "\\0" " " < /proc/1/cmdline; echo; trap "echo term; exit 42" TERM; while :; do sleep 0.05; done'),
    });
    const r = await start(dir);
    expect(r.report).toMatch(/^ok/);
    await new Promise<void>((resolve, reject) => {
      const end = Date.now() + 5000;
      const poll = async () => {
        if (existsSync(join(dir, 'container.log')) && (await logOf(dir)).includes('skiff-init')) return resolve();
        if (Date.now() > end) return reject(new Error('no output'));
        setTimeout(() => void poll(), 20);
      };
      void poll();
    });
    process.kill(r.pid, 'SIGTERM'); // the agent signals the init pid directly
    const exit = await waitExit(dir);
    expect(exit.exitCode).toBe(42);
    const out = await logOf(dir);
    expect(out).not.toContain('sh=1\n');
    expect(out).toContain('/sbin/skiff-init');
    expect(out).toContain('term\n');
  });

  it('execs into the running container and records a kill as 128+signal', async () => {
    const dir = await container({ hostname: 'execbox', arg: ['sleep', '1000'] });
    const r = await start(dir);
    expect(r.report).toMatch(/^ok/);
    const e = await execIn(r.pid, {
      arg: sh('echo "pid=$$"; tr "\\0" " " < /proc/1/cmdline; echo; hostname; ps -o pid,comm | grep -c sleep; id -u; exit 5'),
      uid: 1000,
      gid: 1000,
    });
    expect(e.stderr).toBe('');
    expect(e.code).toBe(5);
    expect(e.stdout).not.toContain('pid=1\n');
    expect(e.stdout).toContain('sleep 1000 \n');
    expect(e.stdout).toContain('execbox\n');
    expect(e.stdout).toContain('1000\n');
    const missing = await execIn(r.pid, { arg: ['nope'] });
    expect(missing.code).toBe(127);
    expect(missing.stderr).toBe('skiff: exec: nope: executable file not found in $PATH\n');

    // the exec parent forwards SIGTERM to the process it runs
    const conf = join(env.tmp, 'exec-signal.conf');
    await writeFile(conf, formatConf({ pid: r.pid, env: ['PATH=/bin'], arg: sh('trap "exit 9" TERM; echo ready; while :; do sleep 0.05; done') }));
    const p = spawn(SHIM_PATH, ['exec', conf], { stdio: ['ignore', 'pipe', 'inherit'] });
    pidsToKill.add(p.pid!);
    await new Promise((resolve) => p.stdout.once('data', resolve));
    p.kill('SIGTERM');
    expect(await new Promise((resolve) => p.on('close', resolve))).toBe(9);

    process.kill(r.pid, 'SIGKILL');
    expect(await waitExit(dir)).toMatchObject({ exitCode: 137, signal: 9 });
  });

  it('keeps running when the process that spawned it dies', async () => {
    const dir = await container({ arg: sh('sleep 0.3; echo survived') });
    // an intermediate parent (like the agent) that is killed right after the report
    const script = `const { spawn } = require('node:child_process');
      const s = spawn(${JSON.stringify(SHIM_PATH)}, ['start', ${JSON.stringify(dir)}], { stdio: ['ignore', 'ignore', 'ignore', 'pipe'] });
      s.stdio[3].on('data', (d) => process.stdout.write(s.pid + ' ' + d));
      setInterval(() => {}, 1000);`;
    const parent = spawn(process.execPath, ['-e', script], { stdio: ['ignore', 'pipe', 'inherit'] });
    pidsToKill.add(parent.pid!);
    const line = await new Promise<string>((resolve) => parent.stdout.once('data', (d: Buffer) => resolve(d.toString())));
    const [shimPid, , initPid] = line.trim().split(' ').map(Number);
    pidsToKill.add(shimPid!);
    pidsToKill.add(initPid!);
    parent.kill('SIGKILL');
    await new Promise((r) => parent.once('exit', r));
    expect(alive(shimPid!)).toBe(true);
    expect((await waitExit(dir)).exitCode).toBe(0);
    expect(await logOf(dir)).toBe('survived\n');
  });
});

describe('network namespaces and exec terminals', () => {
  it('joins a given network namespace, or shares the host one with /sys bound read-only', async () => {
    const ns = `skiff-test-${randomBytes(3).toString('hex')}`;
    await run('ip', ['netns', 'add', ns]);
    try {
      await run('ip', ['-n', ns, 'link', 'add', 'skv1', 'type', 'veth', 'peer', 'name', 'skv2']);
      const joined = await container({ netns: `/run/netns/${ns}`, arg: sh('ip -o link | cut -d: -f2 | cut -d@ -f1 | tr -d " " | sort | tr "\\n" ,') });
      expect((await start(joined)).report).toMatch(/^ok/);
      await waitExit(joined);
      expect(await logOf(joined)).toBe('lo,skv1,skv2,');

      const names = (text: string) => [...text.matchAll(/^\d+: ([^:@]+)/gm)].map((m) => m[1]!);
      // the host's own first interface (other tests come and go with veths meanwhile)
      const hostIface = names(await run('ip', ['-o', 'link'])).find((n) => n !== 'lo')!;
      const host = await container({ netns: 'host', arg: sh('grep " /sys " /proc/mounts; touch /sys/x 2>/dev/null || echo sysro; ip -o link') });
      expect((await start(host)).report).toMatch(/^ok/);
      await waitExit(host);
      const out = await logOf(host);
      expect(out).toMatch(/ \/sys sysfs ro,/);
      expect(out).toContain('sysro\n');
      expect(names(out)).toContain(hostIface);
    } finally {
      await run('ip', ['netns', 'del', ns]).catch(() => {});
    }
  });

  it('exec with tty=1 uses the terminal it is given, or relays a container pty', async () => {
    const dir = await container({ arg: ['sleep', '1000'] });
    const r = await start(dir);
    expect(r.report).toMatch(/^ok/);
    const path = join(env.tmp, 'exec-tty.conf');
    const script = 'stty size; [ -t 0 ] && echo tty0; ps -o pid,tty,comm | grep -c "pts/"; echo sid=$(cut -d" " -f6 /proc/self/stat) pid=$$';
    await writeFile(path, formatConf({ pid: r.pid, tty: 1, env: ['PATH=/bin'], arg: sh(script) }));
    // the caller's terminal: util-linux `script` runs us on a fresh pty of the host
    const given = await run('script', ['-qec', `stty rows 21 cols 77; ${SHIM_PATH} exec ${path}`, '/dev/null']);
    expect(given).toContain('21 77');
    expect(given).toContain('tty0');
    const m = /sid=(\d+) pid=(\d+)/.exec(given)!;
    expect(m[1]).toBe(m[2]); // its own session, the terminal is its controlling tty
    // pipes instead of a terminal: the shim allocates from the container's devpts and relays
    const relayed = await execIn(r.pid, { tty: 1, arg: sh('tty; [ -t 1 ] && echo tty1') });
    expect(relayed.code).toBe(0);
    expect(relayed.stdout).toContain('/dev/pts/0\r\n');
    expect(relayed.stdout).toContain('tty1\r\n');
    process.kill(r.pid, 'SIGKILL');
    await waitExit(dir);
  });
});

describe('cgroups', () => {
  async function makeCgroups(): Promise<{ mem: string; pids: string }> {
    const name = `skiff-test-${randomBytes(4).toString('hex')}`;
    const mem = join('/sys/fs/cgroup/memory', name);
    const pids = join('/sys/fs/cgroup/pids', name);
    for (const d of [mem, pids]) {
      await mkdir(d);
      cgroupDirs.push(d);
    }
    return { mem, pids };
  }

  it('puts exec processes into the container cgroups and cgroup namespace', async () => {
    const { mem, pids } = await makeCgroups();
    const dir = await container({ cgroup: [mem, pids], arg: ['sleep', '1000'] });
    const r = await start(dir);
    expect(r.report).toMatch(/^ok/);
    expect(readFileSync(join(pids, 'cgroup.procs'), 'utf8').trim().split('\n')).toEqual([String(r.pid)]);
    const e = await execIn(r.pid, {
      arg: sh('grep -E ":(memory|pids):" /proc/self/cgroup | cut -d: -f2,3 | sort; cat /sys/fs/cgroup/pids/pids.current 2>/dev/null || true'),
    });
    expect(e.stdout).toMatch(/^memory:\/\npids:\/\n/);
    process.kill(r.pid, 'SIGKILL');
    expect((await waitExit(dir)).oomKilled).toBe(false);
    expect(existsSync(mem) || existsSync(pids)).toBe(false);
  });

  it('joins a cgroup v2 directory, which has no tasks file, through cgroup.procs', async () => {
    const v2 = join('/sys/fs/cgroup/unified', `skiff-test-${randomBytes(4).toString('hex')}`);
    await mkdir(v2);
    cgroupDirs.push(v2);
    const { pids } = await makeCgroups();
    const dir = await container({ cgroup: [pids, v2], arg: ['sleep', '1000'] });
    const r = await start(dir);
    expect(r.report).toMatch(/^ok/);
    // v1 through `tasks`, v2 through `cgroup.procs`: the whole (single-threaded) process is in both
    for (const d of [pids, v2]) expect(readFileSync(join(d, 'cgroup.procs'), 'utf8').trim().split('\n')).toEqual([String(r.pid)]);
    process.kill(r.pid, 'SIGKILL');
    await waitExit(dir);
  });

  it('joins the cgroups, reports an OOM kill and removes the cgroups', async () => {
    const { mem, pids } = await makeCgroups();
    await writeFile(join(mem, 'memory.limit_in_bytes'), String(32 * 1024 * 1024));
    await writeFile(join(pids, 'pids.max'), '64');
    const dir = await container({
      cgroup: [mem, pids],
      oomFile: join(mem, 'memory.oom_control'),
      arg: sh(
        'cat /proc/self/cgroup | grep -E "memory|pids"; cat /sys/fs/cgroup/memory/memory.limit_in_bytes 2>/dev/null; x=$(head -c 200000000 /dev/zero | tr "\\0" a); echo survived',
      ),
    });
    expect((await start(dir)).report).toMatch(/^ok/);
    const exit = await waitExit(dir, 30_000);
    expect(exit.oomKilled).toBe(true);
    expect(exit.exitCode).toBe(137);
    const out = await logOf(dir);
    expect(out).toMatch(/memory:\/\n/); // the cgroup namespace roots at the container's cgroup
    expect(out).not.toContain('survived');
    expect(existsSync(mem)).toBe(false);
    expect(existsSync(pids)).toBe(false);
  });
});
