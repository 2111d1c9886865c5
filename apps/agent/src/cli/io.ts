import { AsyncLocalStorage } from 'node:async_hooks';
import type { Readable, Writable } from 'node:stream';

/** stdout/stderr as the CLI uses them: a stream, plus what a terminal tells */
export type CliOutput = Writable & { isTTY?: boolean; columns?: number; rows?: number };
export type CliInput = Readable & { isTTY?: boolean; setRawMode?: (raw: boolean) => unknown };

/**
 * Everything a CLI call takes from the process it runs in. A call runs either in its own
 * Node process (these are the process's own) or inside the agent for the native client
 * (daemon/cli-host.ts: streams over the client's connection, the client's cwd and env),
 * where several calls run at once and none may touch `process`.
 */
export interface CliIo {
  stdin: CliInput;
  stdout: CliOutput;
  stderr: CliOutput;
  cwd: string;
  env: Record<string, string | undefined>;
  /** ends the call at once with this exit code (the process's own exit for a local call) */
  exit(code: number): void;
  /** aborted when the caller went away: the call's connections and requests close with it */
  signal?: AbortSignal;
}

// getters: process.stdin and friends are made on first use, and a call that never reads
// stdin must not open it (an opened TTY stdin can keep the process alive)
const processIo: CliIo = {
  get stdin() {
    return process.stdin;
  },
  get stdout() {
    return process.stdout;
  },
  get stderr() {
    return process.stderr;
  },
  get cwd() {
    return process.cwd();
  },
  get env() {
    return process.env;
  },
  exit: (code) => process.exit(code),
};

const current = new AsyncLocalStorage<CliIo>();

/**
 * `then`, once stdout and stderr have taken everything written to them so far: a call's
 * end (its exit code, or the process's exit) must not overtake the end of its output.
 */
export function afterOutput(callIo: Pick<CliIo, 'stdout' | 'stderr'>, then: () => void): void {
  let left = 2;
  const done = () => --left === 0 && then();
  callIo.stdout.write('', done);
  callIo.stderr.write('', done);
}

/** the running call's stdio, cwd and env */
export function io(): CliIo {
  return current.getStore() ?? processIo;
}

/** the call whose code is running (its callbacks included), when it is not the process's own */
export function currentCall(): CliIo | undefined {
  return current.getStore();
}

/** runs `fn` (one CLI call) with `callIo` as what io() answers inside it */
export function withIo<T>(callIo: CliIo, fn: () => T): T {
  return current.run(callIo, fn);
}
