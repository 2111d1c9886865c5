import { Readable } from 'node:stream';
import type { Runtime, StdioSession } from '@skiff/runtime';

/** what a finished exec left: its exit code and the end of its stderr (the reason, when it failed) */
export interface ExecResult {
  code: number;
  stderr: string;
}

const STDERR_TAIL = 2048;

function collectExit(session: StdioSession): Promise<ExecResult> {
  let stderr = '';
  session.on('stderr', (d) => {
    stderr = (stderr + d.toString()).slice(-STDERR_TAIL);
  });
  return new Promise((resolve, reject) => {
    session.on('exit', (code) => resolve({ code, stderr: stderr.trim() }));
    session.on('error', reject);
  });
}

/**
 * A command's stdout as a Readable with back-pressure (the exec's pipe is paused while the
 * reader is behind, so a dump is never buffered whole), and its exit. The stream ends when
 * the process has exited and its output is drained; `exit` must be checked before trusting
 * the bytes (a dump that failed half-way still ends its stdout).
 */
export async function execOutput(
  runtime: Runtime,
  container: string,
  cmd: string[],
  env: string[] = [],
): Promise<{ stdout: Readable; exit: Promise<ExecResult> }> {
  const session = await runtime.containers.exec(container, { cmd, env });
  const stdout = new Readable({
    read() {
      session.resume?.();
    },
    destroy(err, cb) {
      // the reader gave up (an upload failed): the dump must not go on into a closed pipe
      void session.kill?.().finally(() => cb(err));
    },
  });
  session.on('stdout', (d) => {
    if (!stdout.push(d)) session.pause?.();
  });
  const exit = collectExit(session);
  exit.then(
    () => stdout.push(null),
    (e: Error) => stdout.destroy(e),
  );
  return { stdout, exit };
}

/** Runs a command to its end, its stdin fed from `input` with back-pressure; its output is only kept for errors. */
export async function execWithInput(runtime: Runtime, container: string, cmd: string[], input: AsyncIterable<Buffer>, env: string[] = []): Promise<ExecResult> {
  const session = await runtime.containers.exec(container, { cmd, env, stdin: true });
  const exit = collectExit(session);
  let exited = false;
  void exit.then(
    () => (exited = true),
    () => (exited = true),
  );
  let stdout = '';
  session.on('stdout', (d) => {
    stdout = (stdout + d.toString()).slice(-STDERR_TAIL);
  });
  try {
    for await (const chunk of input) {
      if (exited) break; // it stopped reading (psql on its first error): the rest is not needed
      session.write(chunk);
      await session.stdinDrained?.();
    }
  } catch (e) {
    await session.kill?.();
    throw e;
  } finally {
    session.closeStdin();
  }
  const r = await exit;
  return r.code === 0 ? r : { code: r.code, stderr: r.stderr || stdout.trim() };
}

/** Runs a command (a hook) to its end; non-zero is an error with its stderr. */
export async function execChecked(runtime: Runtime, container: string, cmd: string[], what: string): Promise<void> {
  const session = await runtime.containers.exec(container, { cmd });
  const r = await collectExit(session);
  if (r.code !== 0) throw new Error(`${what} (${cmd.join(' ')}) exited with ${r.code}${r.stderr ? `: ${r.stderr}` : ''}`);
}
