import { spawn, type ChildProcess } from 'node:child_process';
import { EventEmitter } from 'node:events';
import { unlink } from 'node:fs/promises';
import type { Writable } from 'node:stream';
import { SHIM_PATH } from '../../native/paths.js';
import type { StdioSession } from '../../types.js';
import { childPids } from './process-info.js';
import { signalNumber } from '../spec/signals.js';
import { cleanupFailed, logger } from '@skiff/logger';

const log = logger.child({ component: 'exec' });

/**
 * One `skiff-shim exec` process. Its stdio are pipes to the agent; with a TTY the shim
 * allocates the pty inside the container (so `tty` there says /dev/pts/N) and relays it,
 * and window sizes travel as "resize R C" lines on fd 3. The session ends with the exec'd
 * process's exit code (126/127 when it could not be started).
 */
export class ExecSession extends EventEmitter implements StdioSession {
  private readonly child: ChildProcess;
  private readonly control: Writable;
  private stderrTail = '';

  constructor(confPath: string, tty: boolean, stdin: boolean) {
    super();
    this.child = spawn(SHIM_PATH, ['exec', confPath], { stdio: [stdin || tty ? 'pipe' : 'ignore', 'pipe', 'pipe', 'pipe'] });
    this.control = this.child.stdio[3] as Writable;
    this.control.on('error', () => {});
    this.child.stdin?.on('error', () => {});
    this.child.once('error', (e) => this.emit('error', e));

    const outputs: Promise<void>[] = [];
    const pump = (stream: NodeJS.ReadableStream | null | undefined, name: 'stdout' | 'stderr') => {
      if (!stream) return;
      outputs.push(
        new Promise<void>((resolve) => {
          stream.on('data', (d: Buffer) => {
            if (name === 'stderr') this.stderrTail = (this.stderrTail + d.toString()).slice(-512);
            this.emit(name, d);
          });
          stream.on('end', resolve);
          stream.on('close', resolve);
          stream.on('error', () => resolve());
        }),
      );
    };
    pump(this.child.stdout, 'stdout');
    pump(this.child.stderr, 'stderr');
    this.child.once('exit', (code, signal) => {
      const status = code ?? 128 + (signal ? signalNumber(signal) : 0);
      void Promise.all(outputs).then(() => {
        void unlink(confPath).catch(cleanupFailed(log, 'removing an exec config', { file: confPath }));
        this.emit('exit', status);
      });
    });
  }

  get pid(): number | undefined {
    return this.child.pid;
  }

  /** last bytes of stderr; the shim's `skiff: exec: ...` error line ends up here */
  get errorOutput(): string {
    return this.stderrTail;
  }

  write(data: Buffer): void {
    if (this.child.stdin && !this.child.stdin.destroyed) this.child.stdin.write(data);
  }

  closeStdin(): void {
    this.child.stdin?.end();
  }

  stdinDrained(): Promise<void> {
    const s = this.child.stdin;
    if (!s || s.destroyed || !s.writableNeedDrain) return Promise.resolve();
    return new Promise<void>((resolve) => {
      const done = (): void => {
        s.off('drain', done);
        s.off('close', done);
        resolve();
      };
      s.once('drain', done);
      s.once('close', done);
    });
  }

  resize(rows: number, cols: number): void {
    if (!this.control.destroyed) this.control.write(`resize ${Math.max(1, rows | 0)} ${Math.max(1, cols | 0)}\n`);
  }

  pause(): void {
    this.child.stdout?.pause();
    this.child.stderr?.pause();
  }

  resume(): void {
    this.child.stdout?.resume();
    this.child.stderr?.resume();
  }

  /**
   * SIGKILLs the exec'd process (a health check past its timeout). The shim cannot forward
   * SIGKILL, so it goes to the shim's child, the process in the container; the shim then
   * exits with 137. Before the fork there is no child and the shim itself goes. Output
   * pipes are dropped so a grandchild still holding them cannot delay 'exit'.
   */
  async kill(): Promise<void> {
    const shim = this.child.pid;
    if (!shim || this.child.exitCode !== null || this.child.signalCode !== null) return;
    const children = await childPids(shim);
    for (const pid of children.length ? children : [shim]) {
      try {
        process.kill(pid, 'SIGKILL');
      } catch (e) {
        // ESRCH: it exited between the listing of children and the kill
        log.debug('killing an exec process', { pid, err: e });
      }
    }
    this.detach();
  }

  /** Ends the caller's interest: the exec'd process sees its pipes (or terminal) close. */
  detach(): void {
    this.child.stdin?.destroy();
    this.child.stdout?.destroy();
    this.child.stderr?.destroy();
    this.control.destroy();
  }
}
