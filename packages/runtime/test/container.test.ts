import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { readFile } from 'node:fs/promises';
import tar from 'tar-stream';
import { beforeAll, describe, expect, it } from 'vitest';
import { runCollect, TestRuntime, useTestRuntime, waitFor } from './helpers.js';

const env = useTestRuntime();
let t: TestRuntime;
let image: string;
beforeAll(() => {
  ({ t, image } = env);
});

const sh = (script: string) => ['sh', '-c', script];

describe('run', () => {
  it('streams output and returns the exit code', async () => {
    const ok = await runCollect(t.rt, { image, cmd: sh('echo hello; echo oops >&2'), autoRemove: true });
    expect(ok.code).toBe(0);
    expect(ok.stdout).toBe('hello\n');
    expect(ok.stderr).toBe('oops\n');
    const failed = await runCollect(t.rt, { image, cmd: sh('exit 3'), autoRemove: true });
    expect(failed.code).toBe(3);
  });

  it('is isolated: pid 1, own hostname, no host mounts, masked paths, Docker caps, no-new-privs, seccomp', async () => {
    const r = await runCollect(t.rt, {
      image,
      hostname: 'boat',
      cmd: sh(
        'echo pid=$$; hostname; grep -E "^(CapEff|NoNewPrivs|Seccomp):" /proc/self/status; wc -c < /proc/timer_list; ls /sys/firmware | wc -l; cat /proc/mounts; touch /proc/sys/kernel/x 2>&1 || echo rosys',
      ),
    });
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('pid=1\n');
    expect(r.stdout).toContain('boat\n');
    expect(r.stdout).toMatch(/CapEff:\s+00000000a80425fb/);
    expect(r.stdout).toMatch(/NoNewPrivs:\s+1/);
    expect(r.stdout).toMatch(/Seccomp:\s+2/);
    expect(r.stdout).toMatch(/^0\n0\n/m); // /proc/timer_list is /dev/null, /sys/firmware an empty tmpfs
    // the host's own mounts are not visible, only the container's
    const mountPoints = r.stdout
      .split('\n')
      .filter((l) => / (proc|sysfs|tmpfs|overlay|devpts|mqueue|ext4|xfs|btrfs) /.test(l))
      .map((l) => l.split(' ')[1]!);
    expect(mountPoints).toContain('/');
    expect(mountPoints.filter((m) => m.startsWith('/tmp') || m.startsWith('/work') || m.startsWith('/var/lib'))).toEqual([]);
    expect(r.stdout).toContain('rosys');
  });

  it('sets user, working dir and environment', async () => {
    const r = await runCollect(t.rt, {
      image,
      user: 'app',
      workingDir: '/work/dir',
      env: ['FOO=bar baz'],
      cmd: sh('id -u; id -g; pwd; echo "$FOO"; echo $HOSTNAME'),
    });
    expect(r.stdout.split('\n').slice(0, 4)).toEqual(['1000', '1000', '/work/dir', 'bar baz']);
    const numeric = await runCollect(t.rt, { image, user: '4242:4343', cmd: sh('id -u; id -g') });
    expect(numeric.stdout).toBe('4242\n4343\n');
  });

  it('passes stdin to the container and runs with a tty', async () => {
    const piped = await runCollect(t.rt, { image, openStdin: true, cmd: ['cat'] }, 'through stdin\n');
    expect(piped.stdout).toBe('through stdin\n');
    const tty = await runCollect(t.rt, { image, tty: true, cmd: ['tty'] });
    expect(tty.stdout.trim()).toBe('/dev/pts/0');
  });

  it("keeps Docker's default capabilities; --cap-drop ALL leaves none, --cap-add adds one", async () => {
    const capEff = async (spec: object) => (await runCollect(t.rt, { image, cmd: ['sh', '-c', 'grep CapEff /proc/self/status'], ...spec })).stdout.trim();
    expect(await capEff({})).toMatch(/CapEff:\s+00000000a80425fb$/);
    expect(await capEff({ capDrop: ['ALL'] })).toMatch(/CapEff:\s+0000000000000000$/);
    expect(await capEff({ capDrop: ['ALL'], capAdd: ['NET_ADMIN'] })).toMatch(/CapEff:\s+0000000000001000$/);
    // exec gets the container's set too (the shim's exec mode writes its own `cap` lines)
    const { id } = await t.rt.containers.run({ image, cmd: ['sleep', '30'], capDrop: ['ALL'] });
    try {
      const s = await t.rt.containers.exec(id, { cmd: ['sh', '-c', 'grep CapEff /proc/self/status'] });
      let out = '';
      s.on('stdout', (d: Buffer) => (out += d.toString()));
      expect(await new Promise<number>((r) => s.on('exit', r))).toBe(0);
      expect(out.trim()).toMatch(/CapEff:\s+0000000000000000$/);
    } finally {
      await t.rt.containers.remove(id, { force: true });
    }
  });

  it('reports a missing command with 127 and an unknown image clearly', async () => {
    await expect(t.rt.containers.run({ image, cmd: ['no-such-binary'] })).rejects.toMatchObject({ exitStatus: 127 });
    await expect(t.rt.containers.run({ image, cmd: ['/etc/passwd'] })).rejects.toMatchObject({ exitStatus: 126 });
    await expect(t.rt.containers.run({ image, cmd: ['/etc'] })).rejects.toMatchObject({ exitStatus: 126 });
    await expect(t.rt.containers.create({ image: '127.0.0.1:1/nope/missing:latest' })).rejects.toMatchObject({ code: 'NOT_FOUND' });
  });

  it('rejects bad input without leaving anything behind', async () => {
    const before = (await t.rt.containers.list({ all: true })).length;
    await t.rt.containers.create({ image, name: 'taken', cmd: ['true'] });
    await expect(t.rt.containers.create({ image, name: 'taken', cmd: ['true'] })).rejects.toMatchObject({ code: 'CONFLICT' });
    await expect(t.rt.containers.create({ image, name: 'bad name!' })).rejects.toMatchObject({ code: 'INVALID_ARGUMENT' });
    await expect(t.rt.containers.create({ image, memory: 1024 })).rejects.toMatchObject({ code: 'INVALID_ARGUMENT' });
    await expect(t.rt.containers.create({ image, workingDir: 'relative' })).rejects.toMatchObject({ code: 'INVALID_ARGUMENT' });
    await expect(t.rt.containers.create({ image, capAdd: ['NOT_A_CAP'] })).rejects.toMatchObject({ code: 'INVALID_ARGUMENT' });
    expect((await t.rt.containers.list({ all: true })).length).toBe(before + 1);
    await t.rt.containers.remove('taken');
  });
});

describe('a detached container', () => {
  let id: string;
  beforeAll(async () => {
    ({ id } = await t.rt.containers.run({ image, name: 'worker', stopTimeout: 1, cmd: sh('echo started; echo err >&2; while true; do sleep 1; done') }));
  });

  it('is listed, logged, inspected', async () => {
    const ps = await t.rt.containers.list();
    expect(ps.find((c) => c.id === id)).toMatchObject({ names: ['/worker'], state: 'running' });
    const logs = await waitFor(async () => {
      const lines = [];
      for await (const e of t.rt.containers.logs('worker')) lines.push(e);
      return lines.length >= 2 && lines;
    });
    expect(logs.map((l) => [l.stream, l.line])).toEqual([
      ['stdout', 'started\n'],
      ['stderr', 'err\n'],
    ]);
    const info = await t.rt.containers.inspect(id.slice(0, 12));
    expect(info).toMatchObject({ Id: id, Name: '/worker', State: { Status: 'running', Running: true } });
  });

  it('runs exec in its namespaces with exit codes', async () => {
    const s = await t.rt.containers.exec('worker', { cmd: sh('cat /proc/1/cmdline | tr "\\0" " "; exit 5') });
    let out = '';
    s.on('stdout', (d: Buffer) => (out += d.toString()));
    const code = await new Promise<number>((r) => s.on('exit', r));
    expect(code).toBe(5);
    expect(out).toContain('sh -c echo started');
    const missing = await t.rt.containers.exec('worker', { cmd: ['nope'] });
    expect(await new Promise<number>((r) => missing.on('exit', r))).toBe(127);
  });

  it('exec with a tty and as another user', async () => {
    const s = await t.rt.containers.exec('worker', { cmd: sh('tty; id -u'), tty: true, user: 'app' });
    let out = '';
    s.on('stdout', (d: Buffer) => (out += d.toString()));
    expect(await new Promise<number>((r) => s.on('exit', r))).toBe(0);
    expect(out).toMatch(/\/dev\/pts\/\d+\r?\n1000/);
  });

  it('shows top and stats, pauses and unpauses', async () => {
    const top = await t.rt.containers.top('worker');
    expect(top.titles).toContain('PID');
    expect(top.processes.some((p) => p.join(' ').includes('sleep'))).toBe(true);
    const stats = await t.rt.containers.stats('worker');
    expect(stats.pids).toBeGreaterThan(0);
    expect(stats.memoryUsage).toBeGreaterThan(0);
    await t.rt.containers.pause('worker');
    expect((await t.rt.containers.inspect('worker')).State).toMatchObject({ Status: 'paused', Paused: true });
    await t.rt.containers.unpause('worker');
    expect((await t.rt.containers.inspect('worker')).State).toMatchObject({ Status: 'running' });
  });

  it('copies files in and out and shows the diff', async () => {
    const pack = tar.pack();
    pack.entry({ name: 'hello.txt', mode: 0o644 }, 'copied in\n');
    pack.finalize();
    await t.rt.containers.copyTo('worker', '/tmp', pack as unknown as NodeJS.ReadableStream);
    const s = await t.rt.containers.exec('worker', { cmd: sh('cat /tmp/hello.txt; rm /bin/ls') });
    let out = '';
    s.on('stdout', (d: Buffer) => (out += d.toString()));
    await new Promise((r) => s.on('exit', () => r(null)));
    expect(out).toBe('copied in\n');
    const extract = tar.extract();
    const names: string[] = [];
    let content = '';
    extract.on('entry', (h, stream, next) => {
      names.push(h.name);
      stream.on('data', (d: unknown) => {
        content += String(d);
      });
      stream.on('end', () => next());
    });
    (await t.rt.containers.copyFrom('worker', '/etc/hostname')).pipe(extract);
    await new Promise<void>((r) => extract.on('finish', () => r()));
    expect(names).toEqual(['hostname']);
    expect(content).toBe(`${id.slice(0, 12)}\n`);
    const diff = await t.rt.containers.diff('worker');
    expect(diff).toContainEqual({ path: '/tmp/hello.txt', kind: 1 });
    expect(diff).toContainEqual({ path: '/bin/ls', kind: 2 });
  });

  it('refuses a hostile cp path', async () => {
    const s = await t.rt.containers.exec('worker', { cmd: sh('ln -s / /escape && ln -s ../../../../etc /tmp/up') });
    await new Promise((r) => s.on('exit', () => r(null)));
    const pack = tar.pack();
    pack.entry({ name: 'escape/tmp/skiff-pwned', mode: 0o644 }, 'x');
    pack.entry({ name: '../outside', mode: 0o644 }, 'x');
    pack.finalize();
    await expect(t.rt.containers.copyTo('worker', '/', pack as unknown as NodeJS.ReadableStream)).rejects.toThrow();
    expect(existsSync('/tmp/skiff-pwned')).toBe(false);
    // a symlink in the container resolves inside it, never to the host's /etc
    const extract = tar.extract();
    let hostname = '';
    extract.on('entry', (_h, stream, next) => {
      stream.on('data', (d: unknown) => {
        hostname += String(d);
      });
      stream.on('end', () => next());
    });
    (await t.rt.containers.copyFrom('worker', '/tmp/up/hostname')).pipe(extract);
    await new Promise<void>((r) => extract.on('finish', () => r()));
    expect(hostname).not.toBe(await readFile('/etc/hostname', 'utf8'));
  });

  it('survives a runtime restart and is still managed', async () => {
    const rt = await t.reopen();
    expect((await rt.containers.list()).map((c) => c.id)).toContain(id);
    const s = await rt.containers.exec('worker', { cmd: ['echo', 'still here'] });
    let out = '';
    s.on('stdout', (d: Buffer) => (out += d.toString()));
    await new Promise((r) => s.on('exit', () => r(null)));
    expect(out).toBe('still here\n');
  });

  it('stops with SIGKILL after the timeout when PID 1 ignores SIGTERM', async () => {
    const started = Date.now();
    await t.rt.containers.stop('worker', { timeout: 1 });
    expect(Date.now() - started).toBeGreaterThanOrEqual(900);
    const state = (await t.rt.containers.inspect('worker')).State;
    expect(state).toMatchObject({ Status: 'exited', ExitCode: 137, Running: false });
    await t.rt.containers.remove('worker');
    expect(await t.rt.containers.list({ all: true, filters: { name: ['worker'] } })).toEqual([]);
  });
});

describe('limits and policies', () => {
  it('records an OOM kill under a memory limit', async () => {
    const { id } = await t.rt.containers.run({
      image,
      memory: 16 * 1024 * 1024,
      memorySwap: 16 * 1024 * 1024,
      cmd: sh('x=aaaaaaaaaaaaaaaa; while true; do x=$x$x; done'),
    });
    const { statusCode } = await t.rt.containers.wait(id);
    expect(statusCode).toBe(137);
    expect(((await t.rt.containers.inspect(id)).State as { OOMKilled: boolean }).OOMKilled).toBe(true);
  });

  it('enforces the pids limit', async () => {
    const r = await runCollect(t.rt, { image, pidsLimit: 5, cmd: sh('for i in 1 2 3 4 5 6 7 8; do sleep 2 & done 2>&1; wait; echo done') });
    expect(r.stdout + r.stderr).toMatch(/can't fork|Resource temporarily unavailable/);
  });

  it('restarts on failure up to the maximum', async () => {
    const { id } = await t.rt.containers.run({ image, restartPolicy: { name: 'on-failure', maximumRetryCount: 2 }, cmd: sh('exit 1') });
    await waitFor(
      async () => {
        const i = await t.rt.containers.inspect(id);
        return i.RestartCount === 2 && (i.State as { Status: string }).Status === 'exited';
      },
      15_000,
      'two restarts',
    );
  });

  it('notices a shim killed without leaving an exit record (the sweep, not the watch)', async () => {
    const { id } = await t.rt.containers.run({ image, cmd: ['sleep', '1d'] });
    const dir = join(t.root, 'containers', id);
    const shimPid = Number(readFileSync(join(dir, 'shim.pid'), 'utf8'));
    const initPid = Number(readFileSync(join(dir, 'init.pid'), 'utf8'));
    process.kill(shimPid, 'SIGKILL');
    process.kill(initPid, 'SIGKILL');
    const state = await waitFor(
      async () => {
        const s = (await t.rt.containers.inspect(id)).State as { Status: string; ExitCode: number; Error: string };
        return s.Status === 'exited' && s;
      },
      10_000,
      'the exit',
    );
    expect(state).toMatchObject({ ExitCode: 255, Error: 'the container shim exited unexpectedly' });
    expect(existsSync(join(dir, 'exit.json'))).toBe(false);
    await t.rt.containers.remove(id);
  });

  it('makes the root filesystem read-only on request and removes --rm containers', async () => {
    const r = await runCollect(t.rt, { image, readOnly: true, autoRemove: true, cmd: sh('touch /x 2>&1; echo ok > /tmp/y 2>&1; echo end') });
    expect(r.stdout).toMatch(/Read-only file system/);
    await waitFor(async () => !(await t.rt.containers.list({ all: true })).some((c) => c.id === r.id), 5000, '--rm removal');
  });
});

describe('more of docker run', () => {
  it('--init runs a minimal init as PID 1 that reaps and forwards signals', async () => {
    const r = await runCollect(t.rt, { image, init: true, cmd: sh('echo pid=$$; cat /proc/1/cmdline | tr "\\0" " "; echo') });
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/^pid=\d+\n\/sbin\/skiff-init/);
    expect(r.stdout).not.toContain('pid=1\n');
    // SIGTERM reaches a shell that would ignore it as PID 1
    const { id } = await t.rt.containers.run({ image, init: true, cmd: sh('trap "exit 9" TERM; while true; do sleep 0.1; done') });
    await new Promise((res) => setTimeout(res, 300));
    await t.rt.containers.stop(id, { timeout: 5 });
    expect(((await t.rt.containers.inspect(id)).State as { ExitCode: number }).ExitCode).toBe(9);
  });

  it('writes CPU limits into the cgroup', async () => {
    const { id } = await t.rt.containers.run({ image, nanoCpus: 0.5e9, cpuShares: 512, cmd: ['sleep', '30'] });
    try {
      const dir = `/sys/fs/cgroup/cpu/${t.cgroupParent}/${id}`;
      expect((await readFile(`${dir}/cpu.cfs_quota_us`, 'utf8')).trim()).toBe('50000');
      expect((await readFile(`${dir}/cpu.cfs_period_us`, 'utf8')).trim()).toBe('100000');
      expect((await readFile(`${dir}/cpu.shares`, 'utf8')).trim()).toBe('512');
      const info = (await t.rt.containers.inspect(id)).HostConfig;
      expect(info).toMatchObject({ NanoCpus: 0.5e9, CpuShares: 512 });
    } finally {
      await t.rt.containers.remove(id, { force: true });
    }
    expect(existsSync(`/sys/fs/cgroup/cpu/${t.cgroupParent}/${id}`)).toBe(false); // cleaned up with the container
  });

  it('attaches to a running container and emits lifecycle events', async () => {
    const events: string[] = [];
    const off = t.rt.onEvent((e) => events.push(`${e.type}:${e.action}`));
    const { id } = await t.rt.containers.run({ image, openStdin: true, cmd: ['sh'] });
    const s = await t.rt.containers.attach(id);
    let out = '';
    s.on('stdout', (d: Buffer) => (out += d.toString()));
    const exited = new Promise<number>((r) => s.on('exit', r));
    s.write(Buffer.from('echo attached; exit 6\n'));
    expect(await exited).toBe(6);
    expect(out).toBe('attached\n');
    await t.rt.containers.remove(id);
    off();
    expect(events).toEqual(expect.arrayContaining(['container:create', 'container:start', 'container:die', 'container:destroy']));
  });
});

describe('log rotation', () => {
  it('rotates by size and still serves every line', async () => {
    const small = await TestRuntime.create([image.split('/')[0]!], { logMaxSize: 4096, logMaxFiles: 3 });
    try {
      await small.rt.images.pull(image);
      const r = await runCollect(small.rt, { image, cmd: sh('i=0; while [ $i -lt 100 ]; do echo line-$i; i=$((i+1)); done') });
      expect(r.code).toBe(0);
      const dir = `${small.root}/containers/${r.id}`;
      expect(existsSync(`${dir}/container.log.1`)).toBe(true);
      expect(existsSync(`${dir}/container.log.3`)).toBe(false); // at most logMaxFiles files
      const lines: string[] = [];
      for await (const e of small.rt.containers.logs(r.id)) lines.push(e.line);
      expect(lines.at(-1)).toBe('line-99\n');
      expect(lines.length).toBeGreaterThan(40); // older lines beyond the kept files are gone, as in Docker
      const tail: string[] = [];
      for await (const e of small.rt.containers.logs(r.id, { tail: 3 })) tail.push(e.line);
      expect(tail).toEqual(['line-97\n', 'line-98\n', 'line-99\n']);
    } finally {
      await small.dispose();
    }
  });
});
