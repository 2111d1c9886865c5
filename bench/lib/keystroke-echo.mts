/**
 * Keystroke echo round trips on an interactive busybox `sh`: send one key, time until the
 * shell's echo of it arrives. Works on any terminal-like channel (a WebSocket exec session,
 * a pty master), so every peer is timed by the same loop.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { closeSync, writeSync } from 'node:fs';
import tty from 'node:tty';
import { openpty, setWinsize } from '../../packages/runtime/src/native/addon.js';

export interface EchoTerminal {
  /** sends keystrokes (already encoded as the terminal expects them) */
  write(keys: string): void;
  /** every output chunk, as latin1 text (the bytes, one char each) */
  onData(cb: (text: string) => void): void;
  close(): void;
}

const KEYS = 'abcdefghijklmnopqrstuvwxyz';
/** busybox's line editor redraws long lines: clear the line (^U) well before the width */
const LINE_MAX = 40;

/** resolves once no output arrived for `quietMs` (the shell has finished drawing) */
function quiet(t: { last: number }, quietMs: number): Promise<void> {
  return new Promise((resolve) => {
    const check = () => {
      const idle = performance.now() - t.last;
      if (idle >= quietMs) resolve();
      else setTimeout(check, quietMs - idle);
    };
    setTimeout(check, quietMs);
  });
}

/**
 * Waits for the prompt, then times `warmup + count` single keystrokes (only the last
 * `count` are returned, in ms). Each key is a letter; its echo is complete when the
 * output since the key was sent contains it.
 */
export async function measureEcho(term: EchoTerminal, opts: { warmup: number; count: number; timeoutMs?: number }): Promise<number[]> {
  const state = { last: performance.now(), seen: '', waiting: undefined as undefined | { key: string; resolve: (at: number) => void } };
  term.onData((text) => {
    const at = performance.now();
    state.last = at;
    if (!state.waiting) return;
    state.seen += text;
    if (state.seen.includes(state.waiting.key)) {
      const w = state.waiting;
      state.waiting = undefined;
      w.resolve(at);
    }
  });
  await quiet(state, 300); // banner and prompt
  const times: number[] = [];
  let lineLen = 0;
  for (let i = 0; i < opts.warmup + opts.count; i++) {
    if (lineLen >= LINE_MAX) {
      term.write('\x15');
      await quiet(state, 20);
      lineLen = 0;
    }
    const key = KEYS[i % KEYS.length]!;
    state.seen = '';
    const echoed = new Promise<number>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`no echo of "${key}" within ${opts.timeoutMs ?? 5000} ms`)), opts.timeoutMs ?? 5000);
      state.waiting = {
        key,
        resolve: (at) => {
          clearTimeout(timer);
          resolve(at);
        },
      };
    });
    const sent = performance.now();
    term.write(key);
    const at = await echoed;
    lineLen++;
    if (i >= opts.warmup) times.push(at - sent);
  }
  term.write('\x15');
  return times;
}

/**
 * A command run on a fresh local pty (its stdio are the slave, own session), with the
 * master as the terminal: the floor (busybox sh itself) and `podman exec -it`.
 */
export function ptyTerminal(argv: string[], env: NodeJS.ProcessEnv = process.env): EchoTerminal & { child: ChildProcess } {
  const pty = openpty();
  setWinsize(pty.master, 50, 200);
  const child = spawn(argv[0]!, argv.slice(1), { stdio: [pty.slave, pty.slave, pty.slave], detached: true, env });
  closeSync(pty.slave);
  const master = new tty.ReadStream(pty.master);
  master.on('error', () => {}); // EIO once the process is gone
  return {
    child,
    write: (keys) => void writeSync(pty.master, keys),
    onData: (cb) => master.on('data', (d: Buffer) => cb(d.toString('latin1'))),
    close() {
      child.kill('SIGKILL');
      master.destroy();
    },
  };
}
