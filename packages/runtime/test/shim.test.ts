/**
 * skiff-shim on its own: real namespaces, overlay, cgroups and ptys, driven the way the
 * agent drives it (shim.conf on disk, report on fd 3, attach.sock, exit.json), on a
 * busybox rootfs built from Debian's static busybox.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { chmodSync, closeSync, copyFileSync, existsSync, openSync, readdirSync, readFileSync, rmdirSync, symlinkSync } from 'node:fs';
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { connect, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SHIM_PATH } from '../src/native/paths.js';
import { DEFAULT_CAPABILITIES as DOCKER_DEFAULT_CAPS } from '../src/container/store/container-record.js';

type ConfValue = string | number | (string | number)[] | undefined;

let tmp: string;
let base: string;
const pidsToKill = new Set<number>();
const cgroupDirs: string[] = [];

const esc = (v: string) => v.replace(/\\/g, '\\\\').replace(/\n/g, '\\n').replace(/\t/g, '\\t');
const sh = (script: string) => ['sh', '-c', script];
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

function formatConf(entries: Record<string, ConfValue>): string {
  let out = '';
  for (const [k, v] of Object.entries(entries)) {
    if (v === undefined) continue;
    for (const item of Array.isArray(v) ? v : [v]) out += `${k}=${esc(String(item))}\n`;
  }
  return out;
}

/** busybox as /bin/*, plus the users the agent would resolve from the image */
async function buildBaseRootfs(dir: string): Promise<void> {
  await mkdir(join(dir, 'bin'), { recursive: true });
  await mkdir(join(dir, 'etc'), { recursive: true });
  await mkdir(join(dir, 'tmp'), { recursive: true, mode: 0o1777 });
  copyFileSync('/usr/bin/busybox', join(dir, 'bin/busybox'));
  chmodSync(join(dir, 'bin/busybox'), 0o755);
  const list = await new Promise<string>((resolve, reject) => {
    const p = spawn('/usr/bin/busybox', ['--list'], { stdio: ['ignore', 'pipe', 'inherit'] });
    let s = '';
    p.stdout.on('data', (d: Buffer) => (s += d.toString()));
    p.on('error', reject);
    p.on('close', () => resolve(s));
  });
  for (const applet of list.split('\n').filter((a) => a && a !== 'busybox')) symlinkSync('busybox', join(dir, 'bin', applet));
  await writeFile(join(dir, 'etc/passwd'), 'root:x:0:0:root:/root:/bin/sh\nnobody:x:65534:65534:nobody:/nonexistent:/bin/false\napp:x:1000:1000:app:/home/app:/bin/sh\n');
  await writeFile(join(dir, 'etc/group'), 'root:x:0:\nnogroup:x:65534:\napp:x:1000:\n');
  await writeFile(join(dir, 'bin/not-executable'), '#!/bin/sh\necho no\n', { mode: 0o644 });
}

let seq = 0;
/** a container dir (overlay over the shared busybox base) with its shim.conf */
async function container(conf: Record<string, ConfValue>): Promise<string> {
  const dir = join(tmp, `c${++seq}-${randomBytes(3).toString('hex')}`);
  for (const d of ['upper', 'work', 'rootfs']) await mkdir(join(dir, d), { recursive: true });
  await writeFile(join(dir, 'hostname'), 'boat\n');
  await writeFile(join(dir, 'hosts'), '127.0.0.1\tlocalhost\n127.0.1.1\tboat\n');
  await writeFile(join(dir, 'resolv.conf'), 'nameserver 127.0.0.53\n');
  const full: Record<string, ConfValue> = {
    id: `test${seq}`,
    lower: base,
    upper: join(dir, 'upper'),
    work: join(dir, 'work'),
    rootfs: join(dir, 'rootfs'),
    hostname: 'boat',
    netns: 'new',
    env: ['PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin', 'HOSTNAME=boat'],
    cwd: '/',
    uid: 0,
    gid: 0,
    noNewPrivileges: 1,
    seccomp: 'default',
    hostsFile: join(dir, 'hosts'),
    hostnameFile: join(dir, 'hostname'),
    resolvFile: join(dir, 'resolv.conf'),
    logPath: join(dir, 'container.log'),
    ...conf,
  };
  await writeFile(join(dir, 'shim.conf'), formatConf(full));
  return dir;
}

/** Spawns the shim like the agent does and returns its one-line report. */
async function start(dir: string): Promise<{ report: string; pid: number; shim: ChildProcess }> {
  const shim = spawn(SHIM_PATH, ['start', dir], { detached: true, stdio: ['ignore', 'ignore', 'ignore', 'pipe'] });
  const fd3 = shim.stdio[3] as NodeJS.ReadableStream;
  let report = '';
  fd3.setEncoding('utf8');
  fd3.on('data', (d: string) => (report += d));
  await new Promise<void>((resolve, reject) => {
    fd3.once('end', resolve);
    shim.once('error', reject);
  });
  shim.unref();
  if (shim.pid) pidsToKill.add(shim.pid);
  const m = /^ok (\d+)\n$/.exec(report);
  const pid = m ? Number(m[1]) : 0;
  if (pid) pidsToKill.add(pid);
  return { report, pid, shim };
}

interface ExitRecord {
  exitCode: number;
  signal: number;
  finishedAt: string;
  oomKilled: boolean;
}

async function waitExit(dir: string, timeoutMs = 15_000): Promise<ExitRecord> {
  const end = Date.now() + timeoutMs;
  while (Date.now() < end) {
    if (existsSync(join(dir, 'exit.json'))) return JSON.parse(await readFile(join(dir, 'exit.json'), 'utf8')) as ExitRecord;
    await sleep(20);
  }
  throw new Error(`no exit.json in ${dir}`);
}

async function waitGone(pid: number, timeoutMs = 5000): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (Date.now() < end && alive(pid)) await sleep(20);
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

interface LogEntry {
  log: string;
  stream: string;
  time: string;
}
function parseLog(text: string): LogEntry[] {
  return text
    .split('\n')
    .filter(Boolean)
    .map((l) => JSON.parse(l) as LogEntry);
}
async function logOf(dir: string, stream?: string): Promise<string> {
  const entries = parseLog(await readFile(join(dir, 'container.log'), 'utf8'));
  return entries
    .filter((e) => !stream || e.stream === stream)
    .map((e) => e.log)
    .join('');
}

/** One attach.sock connection; the path goes through /proc/self/fd (sun_path is 108 bytes). */
class AttachClient {
  stdout = '';
  stderr = '';
  exitCode: number | undefined;
  closed: Promise<void>;
  private buf = Buffer.alloc(0);
  private constructor(readonly sock: Socket) {
    sock.on('data', (d: Buffer) => this.onData(d));
    this.closed = new Promise((r) => sock.once('close', () => r()));
  }

  static connect(dir: string): Promise<AttachClient> {
    const fd = openSync(dir, 'r');
    return new Promise((resolve, reject) => {
      const sock = connect(`/proc/self/fd/${fd}/attach.sock`);
      sock.once('connect', () => {
        closeSync(fd);
        resolve(new AttachClient(sock));
      });
      sock.once('error', (e) => {
        closeSync(fd);
        reject(e);
      });
    });
  }

  private onData(d: Buffer): void {
    this.buf = Buffer.concat([this.buf, d]);
    while (this.buf.length >= 5) {
      const len = this.buf.readUInt32BE(1);
      if (this.buf.length < 5 + len) break;
      const type = this.buf[0];
      const payload = this.buf.subarray(5, 5 + len);
      if (type === 1) this.stdout += payload.toString();
      else if (type === 2) this.stderr += payload.toString();
      else if (type === 5) this.exitCode = payload.readInt32BE(0);
      this.buf = this.buf.subarray(5 + len);
    }
  }

  send(type: number, payload: Buffer = Buffer.alloc(0)): void {
    const head = Buffer.alloc(5);
    head[0] = type;
    head.writeUInt32BE(payload.length, 1);
    this.sock.write(Buffer.concat([head, payload]));
  }

  async waitFor(pred: () => boolean, what: string, timeoutMs = 10_000): Promise<void> {
    const end = Date.now() + timeoutMs;
    while (!pred()) {
      if (Date.now() > end) throw new Error(`timed out waiting for ${what}; stdout so far: ${JSON.stringify(this.stdout)}`);
      await sleep(20);
    }
  }
}

/** runs a host command, resolves its stdout, rejects on a non-zero exit */
function run(cmd: string, args: string[]): Promise<string> {
  return new Promise((resolve, reject) => {
    const p = spawn(cmd, args, { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    p.stdout.on('data', (d: Buffer) => (out += d.toString()));
    p.stderr.on('data', (d: Buffer) => (err += d.toString()));
    p.on('error', reject);
    p.on('close', (code) => (code === 0 ? resolve(out) : reject(new Error(`${cmd} ${args.join(' ')}: exit ${code}: ${err}`))));
  });
}

/** `skiff-shim exec <conf>`: collects output and the exit code */
async function execIn(pid: number, conf: Record<string, ConfValue>): Promise<{ code: number; stdout: string; stderr: string }> {
  const path = join(tmp, `exec-${randomBytes(4).toString('hex')}.conf`);
  await writeFile(path, formatConf({ pid, env: ['PATH=/bin'], cwd: '/', uid: 0, gid: 0, noNewPrivileges: 1, seccomp: 'default', ...conf }));
  const p = spawn(SHIM_PATH, ['exec', path], { stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  p.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
  p.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
  const code = await new Promise<number>((resolve) => p.on('close', (c, s) => resolve(c ?? 128 + (s === 'SIGKILL' ? 9 : 15))));
  return { code, stdout, stderr };
}

beforeAll(async () => {
  if (!existsSync(SHIM_PATH)) throw new Error(`${SHIM_PATH} is not built: cd packages/runtime && npx node-gyp rebuild`);
  tmp = await mkdtemp(join(tmpdir(), 'skiff-shim-'));
  base = join(tmp, 'base');
  await buildBaseRootfs(base);
});

afterAll(async () => {
  for (const pid of pidsToKill) {
    try {
      process.kill(pid, 'SIGKILL');
    } catch {
      /* already gone */
    }
  }
  for (const pid of pidsToKill) await waitGone(pid);
  for (const dir of cgroupDirs) {
    for (let i = 0; i < 50 && existsSync(dir); i++) {
      try {
        rmdirSync(dir);
      } catch {
        await sleep(20);
      }
    }
  }
  if (tmp) await rm(tmp, { recursive: true, force: true });
});

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
    const hostDir = join(tmp, 'hostdata');
    await mkdir(hostDir, { recursive: true });
    await writeFile(join(hostDir, 'hello.txt'), 'from the host\n');
    const dir = await container({
      uid: 1000,
      gid: 1000,
      group: [65534],
      cwd: '/work/here',
      readonly: 1,
      mount: [`bind\t${hostDir}\t/data\tbind,ro`, 'tmpfs\ttmpfs\t/scratch\tnosuid,size=1m'],
      arg: sh('id; pwd; grep CapEff /proc/self/status; cat /data/hello.txt; touch /x 2>/dev/null || echo rootro; touch /data/y 2>/dev/null || echo dataro; touch /scratch/z && echo scratchrw'),
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

  it('writes sysctl lines in the container\'s namespaces, refuses host-global ones itself, sets ulimits and /dev/shm', async () => {
    const hostPorts = readFileSync('/proc/sys/net/ipv4/ip_unprivileged_port_start', 'utf8');
    const dir = await container({
      sysctl: ['net/ipv4/ip_unprivileged_port_start=99', 'kernel/msgmax=4321'],
      ulimit: ['nofile:111:222', 'nproc:500:600'],
      shmSize: 2 * 1024 * 1024,
      arg: sh('cat /proc/sys/net/ipv4/ip_unprivileged_port_start /proc/sys/kernel/msgmax; grep -E "open files|processes" /proc/self/limits; grep /dev/shm /proc/mounts'),
    });
    expect((await start(dir)).report).toMatch(/^ok/);
    expect((await waitExit(dir)).exitCode).toBe(0);
    const out = await logOf(dir);
    expect(out).toMatch(/^99\n4321\nMax processes\s+500\s+600\s+processes\s*\nMax open files\s+111\s+222\s+files\s*\n/);
    expect(out).toContain('size=2048k');
    expect(readFileSync('/proc/sys/net/ipv4/ip_unprivileged_port_start', 'utf8')).toBe(hostPorts);

    // the agent never writes these; the shim refuses them on its own too
    const core = readFileSync('/proc/sys/kernel/core_pattern', 'utf8');
    for (const line of ['kernel/core_pattern=|/tmp/pwn', 'net/../kernel/core_pattern=|/tmp/pwn', 'vm/swappiness=1', 'net//../../kernel/core_pattern=x', 'fs/mqueue/../../kernel/core_pattern=x']) {
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
      const l = join(tmp, 'layers', `${String(i).padStart(2, '0')}-${'f'.repeat(100)}`, 'fs');
      await mkdir(l, { recursive: true });
      await writeFile(join(l, `layer${i}`), `${i}\n`);
      layers.push(l);
    }
    expect(layers.join(':').length).toBeGreaterThan(4096);
    const dir = await container({ lower: [...layers.reverse(), base], arg: sh('cat /layer0 /layer39; ls / | grep -c layer') });
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

describe('init, exec and signals', () => {
  it('runs a minimal init as PID 1 that forwards signals and returns the child status', async () => {
    const dir = await container({ init: 1, arg: sh('echo "sh=$$"; tr "\\0" " " < /proc/1/cmdline; echo; trap "echo term; exit 42" TERM; while :; do sleep 0.05; done') });
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
    const e = await execIn(r.pid, { arg: sh('echo "pid=$$"; tr "\\0" " " < /proc/1/cmdline; echo; hostname; ps -o pid,comm | grep -c sleep; id -u; exit 5'), uid: 1000, gid: 1000 });
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
    const conf = join(tmp, 'exec-signal.conf');
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
    const path = join(tmp, 'exec-tty.conf');
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
    const e = await execIn(r.pid, { arg: sh('grep -E ":(memory|pids):" /proc/self/cgroup | cut -d: -f2,3 | sort; cat /sys/fs/cgroup/pids/pids.current 2>/dev/null || true') });
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
      arg: sh('cat /proc/self/cgroup | grep -E "memory|pids"; cat /sys/fs/cgroup/memory/memory.limit_in_bytes 2>/dev/null; x=$(head -c 200000000 /dev/zero | tr "\\0" a); echo survived'),
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
