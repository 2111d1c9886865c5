/**
 * skiff-shim on its own: real namespaces, overlay, cgroups and ptys, driven the way the
 * agent drives it (shim.conf on disk, report on fd 3, attach.sock, exit.json), on a
 * busybox rootfs built from Debian's static busybox. Start and attach here; init, exec,
 * network namespaces and cgroups in shim-exec.test.ts; the harness in shim-harness.ts.
 */
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { DEFAULT_CAPABILITIES as DOCKER_DEFAULT_CAPS } from '../src/container/store/container-record.js';
import { AttachClient, alive, container, env, logOf, parseLog, sh, sleep, start, useShimHarness, waitExit, waitGone } from './shim-harness.js';

useShimHarness();

describe('skiff-shim start', () => {
  it('runs the command isolated and records output and exit', async () => {
    const dir = await container({
      cap: DOCKER_DEFAULT_CAPS,
      arg: sh(
        'echo pid=$$; hostname; grep -E "^(CapEff|NoNewPrivs|Seccomp):" /proc/self/status; ' +
          'for f in /proc/kcore /proc/keys /proc/timer_list; do [ -e $f ] && echo "$f=$(wc -c < $f)"; done; ls /sys/firmware | wc -l; ' +
          'cat /proc/mounts; touch /proc/sys/x 2>/dev/null || echo rosys; ip -o link | grep -c "<LOOPBACK,UP"; ' +
          '[ -L /dev/ptmx ] && echo ptmx=$(readlink /dev/ptmx); echo x > /dev/null && [ -c /dev/urandom ] && [ -d /dev/shm ] && [ -L /dev/fd ] && echo devok; echo oops >&2; exit 3',
      ),
    });
    const r = await start(dir);
    expect(r.report).toMatch(/^ok \d+\n$/);
    expect(Number(readFileSync(join(dir, 'init.pid'), 'utf8'))).toBe(r.pid);
    expect(Number(readFileSync(join(dir, 'shim.pid'), 'utf8'))).toBe(r.shim.pid);
    const exit = await waitExit(dir);
    expect(exit).toMatchObject({ exitCode: 3, signal: 0, oomKilled: false });
    expect(exit.finishedAt).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{9}Z$/);

    const out = await logOf(dir, 'stdout');
    expect(out).toMatch(/^pid=1\nboat\n/);
    expect(out).toMatch(/CapEff:\s+00000000a80425fb/);
    expect(out).toMatch(/NoNewPrivs:\s+1/);
    expect(out).toMatch(/Seccomp:\s+2/);
    // masked: whichever of these the kernel has reads as /dev/null
    const masked = [...out.matchAll(/^\/proc\/(\w+)=(\d+)$/gm)];
    expect(masked.length).toBeGreaterThan(0);
    for (const m of masked) expect(m[2]).toBe('0');
    expect(out).toMatch(/^0\n/m); // /sys/firmware is an empty tmpfs
    expect(out).toContain('rosys');
    const mountPoints = out
      .split('\n')
      .filter((l) => /^\S+ \/\S* \S+ \S+ \d \d$/.test(l))
      .map((l) => l.split(' ')[1]!);
    expect(mountPoints).toContain('/');
    expect(mountPoints).toContain('/etc/hosts');
    expect(mountPoints.filter((m) => /^\/(tmp|work|var|run|home|boot)/.test(m))).toEqual([]);
    expect(out).toContain('ptmx=pts/ptmx\n');
    expect(out).toContain('devok\n');
    expect(out).toMatch(/^1\n/m); // lo is up, and it is the only interface
    expect(await logOf(dir, 'stderr')).toBe('oops\n');
    expect(existsSync(join(dir, 'attach.sock'))).toBe(false);
    await waitGone(r.shim.pid!);
    expect(alive(r.shim.pid!)).toBe(false);
  });

  it('stays under 1 MiB RSS while the container idles, and still relays afterwards', async () => {
    // density contract (docs/performance.md): a static shim that drops its setup pages
    const dir = await container({ stdin: 1, arg: sh('read x; echo got $x') });
    const r = await start(dir);
    expect(r.report).toMatch(/^ok \d+\n$/);
    await sleep(300);
    const rollup = readFileSync(`/proc/${r.shim.pid}/smaps_rollup`, 'utf8');
    const rssKb = Number(/^Rss:\s+(\d+)/m.exec(rollup)![1]);
    expect(rssKb).toBeLessThan(1024);
    // the code the relay needs faults back in: stdin, output and the exit frame all work
    const a = await AttachClient.connect(dir);
    a.send(0, Buffer.from('hi\n'));
    await a.waitFor(() => a.exitCode !== undefined, 'exit frame');
    expect(a.stdout).toBe('got hi\n');
    expect(a.exitCode).toBe(0);
    expect((await waitExit(dir)).exitCode).toBe(0);
  });

  it('reports 127 for a missing command and 126 for one that cannot be executed', async () => {
    const missing = await start(await container({ arg: ['no-such-command'] }));
    expect(missing.report).toBe('error 127 exec: "no-such-command": executable file not found in $PATH\n');
    const notExec = await start(await container({ arg: ['/bin/not-executable'] }));
    expect(notExec.report).toMatch(/^error 126 .*permission denied\n$/);
    const dirArg = await start(await container({ arg: ['/bin'] }));
    expect(dirArg.report).toMatch(/^error 126 /);
  });

  it('switches user, creates the working dir and applies readonly root and extra mounts', async () => {
    const hostDir = join(env.tmp, 'hostdata');
    await mkdir(hostDir, { recursive: true });
    await writeFile(join(hostDir, 'hello.txt'), 'from the host\n');
    const dir = await container({
      uid: 1000,
      gid: 1000,
      group: [65534],
      cwd: '/work/here',
      readonly: 1,
      mount: [`bind\t${hostDir}\t/data\tbind,ro`, 'tmpfs\ttmpfs\t/scratch\tnosuid,size=1m'],
      arg: sh(
        'id; pwd; grep CapEff /proc/self/status; cat /data/hello.txt; touch /x 2>/dev/null || echo rootro; touch /data/y 2>/dev/null || echo dataro; touch /scratch/z && echo scratchrw',
      ),
    });
    expect((await start(dir)).report).toMatch(/^ok/);
    expect((await waitExit(dir)).exitCode).toBe(0);
    const out = await logOf(dir);
    expect(out).toContain('uid=1000(app) gid=1000(app) groups=65534(nogroup)');
    expect(out).toContain('/work/here\n');
    expect(out).toMatch(/CapEff:\s+0000000000000000/);
    expect(out).toContain('from the host\n');
    expect(out).toContain('rootro\n');
    expect(out).toContain('dataro\n');
    expect(out).toContain('scratchrw\n');
  });

  it("writes sysctl lines in the container's namespaces, refuses host-global ones itself, sets ulimits and /dev/shm", async () => {
    const hostPorts = readFileSync('/proc/sys/net/ipv4/ip_unprivileged_port_start', 'utf8');
    const dir = await container({
      sysctl: ['net/ipv4/ip_unprivileged_port_start=99', 'kernel/msgmax=4321'],
      ulimit: ['nofile:111:222', 'nproc:500:600'],
      shmSize: 2 * 1024 * 1024,
      arg: sh(
        'cat /proc/sys/net/ipv4/ip_unprivileged_port_start /proc/sys/kernel/msgmax; grep -E "open files|processes" /proc/self/limits; grep /dev/shm /proc/mounts',
      ),
    });
    expect((await start(dir)).report).toMatch(/^ok/);
    expect((await waitExit(dir)).exitCode).toBe(0);
    const out = await logOf(dir);
    expect(out).toMatch(/^99\n4321\nMax processes\s+500\s+600\s+processes\s*\nMax open files\s+111\s+222\s+files\s*\n/);
    expect(out).toContain('size=2048k');
    expect(readFileSync('/proc/sys/net/ipv4/ip_unprivileged_port_start', 'utf8')).toBe(hostPorts);

    // the agent never writes these; the shim refuses them on its own too
    const core = readFileSync('/proc/sys/kernel/core_pattern', 'utf8');
    for (const line of [
      'kernel/core_pattern=|/tmp/pwn',
      'net/../kernel/core_pattern=|/tmp/pwn',
      'vm/swappiness=1',
      'net//../../kernel/core_pattern=x',
      'fs/mqueue/../../kernel/core_pattern=x',
    ]) {
      const r = await start(await container({ sysctl: [line], arg: ['true'] }));
      expect(r.report, line).toMatch(/^error 125 sysctl .* is not in the container's own namespaces\n$/);
    }
    const hostNet = await start(await container({ netns: 'host', sysctl: ['net/ipv4/ip_unprivileged_port_start=1'], arg: ['true'] }));
    expect(hostNet.report).toMatch(/^error 125 sysctl net\/ipv4\/ip_unprivileged_port_start is not in the container's own namespaces/);
    expect(readFileSync('/proc/sys/kernel/core_pattern', 'utf8')).toBe(core);
    expect(readFileSync('/proc/sys/net/ipv4/ip_unprivileged_port_start', 'utf8')).toBe(hostPorts);
    // a net sysctl that only the host's namespace has is not there to write
    const global = await start(await container({ sysctl: ['net/core/rmem_max=1'], arg: ['true'] }));
    expect(global.report).toMatch(/^error 125 sysctl net\/core\/rmem_max: /);
  });

  it('blocks what Docker blocks: mount and unshare, but allows linux32', async () => {
    const dir = await container({
      arg: sh('mount -t tmpfs t /mnt 2>&1 || echo nomount; unshare -n true 2>&1 || echo nounshare; linux32 true && echo linux32ok'),
    });
    expect((await start(dir)).report).toMatch(/^ok/);
    await waitExit(dir);
    const out = await logOf(dir);
    expect(out).toContain('nomount');
    expect(out).toContain('nounshare');
    expect(out).toContain('linux32ok'); // PER_LINUX32 is on Docker's allow list
  });

  it('mounts a deep image whose overlay options exceed a page', async () => {
    const layers: string[] = [];
    for (let i = 0; i < 40; i++) {
      const l = join(env.tmp, 'layers', `${String(i).padStart(2, '0')}-${'f'.repeat(100)}`, 'fs');
      await mkdir(l, { recursive: true });
      await writeFile(join(l, `layer${i}`), `${i}\n`);
      layers.push(l);
    }
    expect(layers.join(':').length).toBeGreaterThan(4096);
    const dir = await container({ lower: [...layers.reverse(), env.base], arg: sh('cat /layer0 /layer39; ls / | grep -c layer') });
    expect((await start(dir)).report).toMatch(/^ok/);
    expect((await waitExit(dir)).exitCode).toBe(0);
    expect(await logOf(dir)).toBe('0\n39\n40\n');
  });

  const CONTROL_BYTES = [...Array.from({ length: 31 }, (_, i) => i + 1).filter((b) => b !== 10), 0x7f, 0xc3, 0xa9, 0xe2, 0x82, 0x78, 10];
  const CONTROL_OCTAL = CONTROL_BYTES.map((b) => `\\${b.toString(8).padStart(3, '0')}`).join('');
  const CONTROL_TEXT = `${String.fromCharCode(...CONTROL_BYTES.slice(0, 31))}é\ufffd\ufffdx\n`;
  it('escapes, splits and rotates the json log', async () => {
    const dir = await container({
      logMaxSize: 30_000,
      logMaxFiles: 5,
      arg: sh(`printf 'q"b\\\\s\\001\\377\\ttab\\n'; printf '${CONTROL_OCTAL}'; head -c 40000 /dev/zero | tr '\\0' x; echo; printf 'partial'`),
    });
    expect((await start(dir)).report).toMatch(/^ok/);
    expect((await waitExit(dir)).exitCode).toBe(0);
    const files = readdirSync(dir)
      .filter((f) => f.startsWith('container.log'))
      .sort((a, b) => (b.split('.')[2] ? Number(b.split('.')[2]) : 0) - (a.split('.')[2] ? Number(a.split('.')[2]) : 0));
    expect(files.length).toBeGreaterThan(1); // rotated
    const entries = files.flatMap((f) => parseLog(readFileSync(join(dir, f), 'utf8')));
    expect(entries[0]!.log).toBe('q"b\\s\u0001\ufffd\ttab\n');
    // every control byte, DEL, a valid two-byte and a cut three-byte sequence
    expect(entries[1]!.log).toBe(CONTROL_TEXT);
    const long = entries.slice(2, -1).map((e) => e.log);
    expect(long.map((l) => l.length)).toEqual([16384, 16384, 40000 - 2 * 16384 + 1]);
    expect(long.join('')).toBe('x'.repeat(40000) + '\n');
    expect(entries.at(-1)!.log).toBe('partial');
  });
});

describe('attach', () => {
  it('waits for the first client, relays stdin and sends the exit frame', async () => {
    const dir = await container({ stdin: 1, waitAttach: 1, arg: sh('echo started; cat; echo done >&2') });
    const r = await start(dir);
    expect(r.report).toMatch(/^ok \d+\n$/);
    await sleep(200);
    expect(existsSync(join(dir, 'container.log')) ? await logOf(dir) : '').toBe(''); // not exec'd yet
    const a = await AttachClient.connect(dir);
    const b = await AttachClient.connect(dir); // a second client sees the same output
    await a.waitFor(() => a.stdout === 'started\n', 'started');
    a.send(0, Buffer.from('hello\n'));
    await a.waitFor(() => a.stdout.includes('hello\n'), 'echo');
    a.send(4);
    await a.waitFor(() => a.exitCode !== undefined, 'exit frame');
    expect(a.exitCode).toBe(0);
    expect(a.stdout).toBe('started\nhello\n');
    expect(a.stderr).toBe('done\n');
    await b.waitFor(() => b.exitCode === 0, 'exit frame on the second client');
    expect(b.stdout.endsWith('hello\n')).toBe(true); // it may have connected after "started"
    await a.closed;
    expect((await waitExit(dir)).exitCode).toBe(0);
  });

  it('disconnects a client that does not read, without stalling the container', async () => {
    const dir = await container({ waitAttach: 1, arg: sh('head -c 8000000 /dev/zero | tr "\\0" x; echo end >&2') });
    expect((await start(dir)).report).toMatch(/^ok/);
    const slow = await AttachClient.connect(dir);
    slow.sock.pause();
    const exit = await waitExit(dir, 20_000);
    expect(exit.exitCode).toBe(0);
    slow.sock.resume();
    await slow.closed;
    expect(slow.exitCode).toBeUndefined();
    expect(await logOf(dir, 'stderr')).toBe('end\n');
  });

  it('gives a tty the container pty, resizes it and logs it as stdout', async () => {
    const dir = await container({ tty: 1, stdin: 1, waitAttach: 1, env: ['PATH=/bin', 'TERM=xterm'], arg: sh('read line; tty; stty size; echo "got $line"') });
    expect((await start(dir)).report).toMatch(/^ok/);
    const a = await AttachClient.connect(dir);
    const size = Buffer.alloc(4);
    size.writeUInt16BE(33, 0);
    size.writeUInt16BE(101, 2);
    a.send(3, size);
    await sleep(100);
    a.send(0, Buffer.from('ahoy\r'));
    await a.waitFor(() => a.exitCode !== undefined, 'exit');
    expect(a.exitCode).toBe(0);
    expect(a.stdout).toContain('/dev/pts/0\r\n');
    expect(a.stdout).toContain('33 101\r\n');
    expect(a.stdout).toContain('got ahoy\r\n');
    expect(await logOf(dir, 'stderr')).toBe('');
    expect(await logOf(dir, 'stdout')).toContain('got ahoy');
  });
});
