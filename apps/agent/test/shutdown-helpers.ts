import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, readFileSync, readdirSync } from 'node:fs';
import { request, type IncomingMessage } from 'node:http';
import { connect, type Socket } from 'node:net';
import { join } from 'node:path';
import { SKIFF, type AgentHarness } from './agent-harness.js';

/** what the agent's stop looked like from outside */
export interface StopResult {
  /** exit code (null when a signal ended it, or when it had to be killed) */
  code: number | null;
  ms: number;
  /** it did not exit within `limitMs` and was SIGKILLed */
  killed: boolean;
}

/** Sends `signal` (and `again` ms later a second one, if given); SIGKILLs the agent if it is still there after `limitMs`. */
export async function signalAgent(h: AgentHarness, opts: { limitMs?: number; again?: number; signal?: NodeJS.Signals } = {}): Promise<StopResult> {
  const d = h.daemon!;
  const limitMs = opts.limitMs ?? 12_000;
  const t0 = Date.now();
  const exited = new Promise<number | null>((r) => d.once('exit', (code) => r(code)));
  d.kill(opts.signal ?? 'SIGTERM');
  if (opts.again !== undefined) setTimeout(() => d.exitCode === null && d.kill(opts.signal ?? 'SIGTERM'), opts.again);
  const r = await Promise.race([exited, new Promise<'late'>((r) => setTimeout(() => r('late'), limitMs))]);
  if (r === 'late') {
    await h.kill();
    return { code: null, ms: Date.now() - t0, killed: true };
  }
  return { code: r, ms: Date.now() - t0, killed: false };
}

/** a process's children (the agent has none: shims are started apart, the dashboard is its own files) */
export function childPids(pid: number): number[] {
  const dir = `/proc/${pid}/task`;
  if (!existsSync(dir)) return [];
  return readdirSync(dir).flatMap((t) => {
    try {
      return readFileSync(join(dir, t, 'children'), 'utf8')
        .split(' ')
        .filter(Boolean)
        .map(Number);
    } catch {
      return []; // the thread ended while we looked
    }
  });
}

/** the container's init process, from the agent's state (the shim wrote it) */
export function initPid(h: AgentHarness, fullId: string): number {
  return Number(readFileSync(join(h.root, 'containers', fullId, 'init.pid'), 'utf8').trim());
}

/** a CLI process with its output kept; `streaming` resolves once it printed something */
export class Client {
  stdout = '';
  stderr = '';
  readonly exited: Promise<number | null>;
  readonly streaming: Promise<void>;
  readonly proc: ChildProcess;

  constructor(cmd: string, args: string[], env: NodeJS.ProcessEnv) {
    const p = spawn(cmd, args, { env, stdio: ['ignore', 'pipe', 'pipe'] });
    this.proc = p;
    this.streaming = new Promise((resolve) => p.stdout!.once('data', () => resolve()));
    p.stdout!.on('data', (d: Buffer) => (this.stdout.length < 100_000 ? (this.stdout += d.toString()) : undefined));
    p.stderr!.on('data', (d: Buffer) => (this.stderr += d.toString()));
    this.exited = new Promise((resolve) => p.once('exit', (code) => resolve(code)));
  }

  static skiff(h: AgentHarness, args: string[], node = false): Client {
    return new Client(SKIFF, args, { ...h.env, ...(node ? { SKIFF_CLIENT: 'node' } : {}) });
  }

  static docker(h: AgentHarness, args: string[]): Client {
    return new Client('docker', args, { ...process.env, DOCKER_HOST: `unix://${h.dockerSocket}`, DOCKER_CONFIG: h.dir });
  }

  /** stops it reading (a suspended terminal, a hung SSH session) */
  suspend(): void {
    this.proc.kill('SIGSTOP');
  }

  /** its exit code, or 'running' if it did not exit within `ms` */
  async exitWithin(ms: number): Promise<number | null | 'running'> {
    return Promise.race([this.exited, new Promise<'running'>((r) => setTimeout(() => r('running'), ms))]);
  }

  kill(): void {
    if (this.proc.exitCode === null && this.proc.signalCode === null) this.proc.kill('SIGKILL');
  }
}

/**
 * A raw request on a unix or TCP socket that reads the first bytes of the answer and then
 * never reads again (the socket stays open: a stalled or vanished peer).
 */
export function stalledRequest(target: { path: string } | { port: number }, head: string): Promise<Socket> {
  return new Promise((resolve, reject) => {
    const s = 'path' in target ? connect(target.path) : connect(target.port, '127.0.0.1');
    s.once('error', reject);
    s.once('connect', () => s.write(head));
    s.once('data', () => {
      s.pause();
      resolve(s);
    });
  });
}

/** a streamed GET on the Docker API that keeps reading; `ended` says how it finished */
export function readingRequest(socketPath: string, path: string): Promise<{ res: IncomingMessage; ended: Promise<'end' | 'aborted'> }> {
  return new Promise((resolve, reject) => {
    const req = request({ socketPath, path, method: 'GET' }, (res) => {
      const ended = new Promise<'end' | 'aborted'>((r) => {
        res.once('end', () => r('end'));
        res.once('aborted', () => r('aborted'));
        res.once('error', () => r('aborted'));
      });
      res.resume();
      resolve({ res, ended });
    });
    req.once('error', reject);
    req.end();
  });
}
