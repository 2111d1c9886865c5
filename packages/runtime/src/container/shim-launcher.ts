import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { SkiffError, Unavailable } from '../errors.js';
import { SHIM_PATH } from '../native/paths.js';

/** A start that failed inside the shim: Docker's 125/126/127 travel with it to the CLI. */
export class StartError extends SkiffError {
  constructor(exitCode: number, message: string) {
    super(exitCode === 125 ? 'INTERNAL' : 'INVALID_ARGUMENT', message, { exitStatus: exitCode });
  }
}

/**
 * Spawns `skiff-shim start <dir>` detached (own session) and waits for its one-line
 * report on fd 3. The shim outlives the agent, so it is unref'd at once.
 */
export async function launchShim(containerDir: string): Promise<{ pid: number; shimPid: number }> {
  if (!existsSync(SHIM_PATH)) throw new Unavailable(`the container shim is not built (${SHIM_PATH}); run npm install`);
  const child = spawn(SHIM_PATH, ['start', containerDir], {
    detached: true,
    stdio: ['ignore', 'ignore', 'pipe', 'pipe'],
  });
  const report = child.stdio[3] as NodeJS.ReadableStream;
  const stderr = child.stderr!;
  let text = '';
  let errText = '';
  report.setEncoding('utf8');
  stderr.setEncoding('utf8');
  report.on('data', (d: string) => (text += d));
  stderr.on('data', (d: string) => (errText += d.slice(0, 4096)));
  const spawnError = new Promise<never>((_, reject) => child.once('error', reject));
  await Promise.race([new Promise<void>((resolve) => report.once('end', resolve)), spawnError]);
  child.unref();
  (stderr as unknown as { destroy(): void }).destroy();
  const line = text.split('\n')[0] ?? '';
  const ok = /^ok (\d+)$/.exec(line);
  if (ok) return { pid: Number(ok[1]), shimPid: child.pid! };
  const err = /^error (\d+) (.*)$/.exec(line);
  if (err) throw new StartError(Number(err[1]), err[2]!);
  throw new StartError(125, `container shim failed without a report${errText ? `: ${errText.trim()}` : ''}`);
}
