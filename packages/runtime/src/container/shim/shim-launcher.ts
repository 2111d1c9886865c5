import { existsSync } from 'node:fs';
import { SkiffError, Unavailable } from '../../errors.js';
import { spawnReported } from '../../native/addon.js';
import { SHIM_PATH } from '../../native/paths.js';
import { parseShimTrace, type StartTimeline } from './start-timeline.js';

/** A start that failed inside the shim: Docker's 125/126/127 travel with it to the CLI. */
export class StartError extends SkiffError {
  constructor(exitCode: number, message: string) {
    super(exitCode === 125 ? 'INTERNAL' : 'INVALID_ARGUMENT', message, { exitStatus: exitCode });
  }
}

/**
 * Runs `skiff-shim start <dir>` in its own session and waits for its one-line report on
 * fd 3. The shim outlives the agent; the addon spawns it without forking the agent and
 * reaps it when it exits.
 */
export async function launchShim(containerDir: string, timeline?: StartTimeline): Promise<{ pid: number; shimPid: number }> {
  if (!existsSync(SHIM_PATH)) throw new Unavailable(`the container shim is not built (${SHIM_PATH}); run npm install`);
  const spawnAt = process.hrtime.bigint();
  const {
    pid: shimPid,
    report,
    stderr,
  } = await spawnReported(SHIM_PATH, ['start', containerDir]).catch((e: Error) => {
    throw new StartError(125, `starting the container shim: ${e.message}`);
  });
  const line = report.split('\n')[0] ?? '';
  const ok = /^ok (\d+)(?: trace=(\S+))?$/.exec(line);
  if (ok) {
    timeline?.addShim(spawnAt, process.hrtime.bigint(), parseShimTrace(ok[2] ?? ''));
    return { pid: Number(ok[1]), shimPid };
  }
  const err = /^error (\d+) (.*)$/.exec(line);
  if (err) throw new StartError(Number(err[1]), err[2]!);
  throw new StartError(125, `container shim failed without a report${stderr ? `: ${stderr.trim()}` : ''}`);
}
