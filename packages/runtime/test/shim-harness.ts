/**
 * The harness behind the shim tests: a busybox rootfs built from Debian's static busybox,
 * container dirs with their shim.conf, the shim spawned the way the agent spawns it, an
 * attach.sock client, exec, and teardown of every process and cgroup a test made.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { chmodSync, closeSync, copyFileSync, existsSync, openSync, rmdirSync, symlinkSync } from 'node:fs';
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { connect, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll } from 'vitest';
import { SHIM_PATH } from '../src/native/paths.js';

export type ConfValue = string | number | (string | number)[] | undefined;

/** the scratch dir and the shared busybox rootfs, set by useShimHarness's beforeAll */
export const env = { tmp: '', base: '' };
export const pidsToKill = new Set<number>();
export const cgroupDirs: string[] = [];

const esc = (v: string) => v.replace(/\\/g, '\\\\').replace(/\n/g, '\\n').replace(/\t/g, '\\t');
export const sh = (script: string) => ['sh', '-c', script];
export const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

export function formatConf(entries: Record<string, ConfValue>): string {
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
  await writeFile(
    join(dir, 'etc/passwd'),
    'root:x:0:0:root:/root:/bin/sh\nnobody:x:65534:65534:nobody:/nonexistent:/bin/false\napp:x:1000:1000:app:/home/app:/bin/sh\n',
  );
  await writeFile(join(dir, 'etc/group'), 'root:x:0:\nnogroup:x:65534:\napp:x:1000:\n');
  await writeFile(join(dir, 'bin/not-executable'), '#!/bin/sh\necho no\n', { mode: 0o644 });
}

let seq = 0;
/** a container dir (overlay over the shared busybox base) with its shim.conf */
export async function container(conf: Record<string, ConfValue>): Promise<string> {
  const dir = join(env.tmp, `c${++seq}-${randomBytes(3).toString('hex')}`);
  for (const d of ['upper', 'work', 'rootfs']) await mkdir(join(dir, d), { recursive: true });
  await writeFile(join(dir, 'hostname'), 'boat\n');
  await writeFile(join(dir, 'hosts'), '127.0.0.1\tlocalhost\n127.0.1.1\tboat\n');
  await writeFile(join(dir, 'resolv.conf'), 'nameserver 127.0.0.53\n');
  const full: Record<string, ConfValue> = {
    id: `test${seq}`,
    lower: env.base,
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
export async function start(dir: string): Promise<{ report: string; pid: number; shim: ChildProcess }> {
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

export interface ExitRecord {
  exitCode: number;
  signal: number;
  finishedAt: string;
  oomKilled: boolean;
}

export async function waitExit(dir: string, timeoutMs = 15_000): Promise<ExitRecord> {
  const end = Date.now() + timeoutMs;
  while (Date.now() < end) {
    if (existsSync(join(dir, 'exit.json'))) return JSON.parse(await readFile(join(dir, 'exit.json'), 'utf8')) as ExitRecord;
    await sleep(20);
  }
  throw new Error(`no exit.json in ${dir}`);
}

export async function waitGone(pid: number, timeoutMs = 5000): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (Date.now() < end && alive(pid)) await sleep(20);
}

export function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

export interface LogEntry {
  log: string;
  stream: string;
  time: string;
}
export function parseLog(text: string): LogEntry[] {
  return text
    .split('\n')
    .filter(Boolean)
    .map((l) => JSON.parse(l) as LogEntry);
}
export async function logOf(dir: string, stream?: string): Promise<string> {
  const entries = parseLog(await readFile(join(dir, 'container.log'), 'utf8'));
  return entries
    .filter((e) => !stream || e.stream === stream)
    .map((e) => e.log)
    .join('');
}

/** One attach.sock connection; the path goes through /proc/self/fd (sun_path is 108 bytes). */
export class AttachClient {
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
export function run(cmd: string, args: string[]): Promise<string> {
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
export async function execIn(pid: number, conf: Record<string, ConfValue>): Promise<{ code: number; stdout: string; stderr: string }> {
  const path = join(env.tmp, `exec-${randomBytes(4).toString('hex')}.conf`);
  await writeFile(path, formatConf({ pid, env: ['PATH=/bin'], cwd: '/', uid: 0, gid: 0, noNewPrivileges: 1, seccomp: 'default', ...conf }));
  const p = spawn(SHIM_PATH, ['exec', path], { stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  p.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
  p.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
  const code = await new Promise<number>((resolve) => p.on('close', (c, s) => resolve(c ?? 128 + (s === 'SIGKILL' ? 9 : 15))));
  return { code, stdout, stderr };
}

/** registers the file's setup (the busybox base) and teardown (shims, containers, cgroups, scratch dir) */
export function useShimHarness(): void {
  beforeAll(async () => {
    if (!existsSync(SHIM_PATH)) throw new Error(`${SHIM_PATH} is not built: cd packages/runtime && npx node-gyp rebuild`);
    env.tmp = await mkdtemp(join(tmpdir(), 'skiff-shim-'));
    env.base = join(env.tmp, 'base');
    await buildBaseRootfs(env.base);
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
    if (env.tmp) await rm(env.tmp, { recursive: true, force: true });
  });
}
