import { existsSync } from 'node:fs';
import { join } from 'node:path';
import type { ContainerCgroup } from '../cgroup/cgroups.js';
import type { ContainerState } from '../store/container-record.js';
import type { StoredContainer } from '../store/container-store.js';
import { shimProtocol } from '../shim/shim-protocol.js';
import { killCgroup } from './cgroup-kill.js';
import { lifecycleWarn } from './log.js';
import { findShims, isShimOf, readPidFile } from './shim-process.js';

/** What reconciliation needs from the container manager. */
export interface AdoptHost {
  containersDir: string;
  all(): StoredContainer[];
  cgroup(c: StoredContainer): ContainerCgroup;
  setState(c: StoredContainer, patch: Partial<ContainerState>): Promise<void>;
  /** exit watch and health checks for a container that runs */
  watch(c: StoredContainer): void;
  /** records the exit of a container whose shim is gone, killing what it left */
  finishExit(c: StoredContainer): Promise<void>;
  /** the rest of an interrupted removal */
  remove(c: StoredContainer): Promise<void>;
  restartLater(c: StoredContainer): void;
  now(): string;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
/** how long a shim found mid-start gets to write its pid files */
const START_GRACE_MS = 3000;

/**
 * Agent start: the records are checked against the shims that actually run (found by
 * their command lines, not by pid files: pids are reused). A live shim means running, a
 * recorded run without one means exited, and what an interrupted start or removal left
 * (cgroup, processes) is finished or cleaned up. Network state is reconciled afterwards
 * from the resulting set of running containers.
 */
export async function reconcileContainers(h: AdoptHost): Promise<void> {
  const shims = findShims(h.containersDir);
  for (const c of h.all()) {
    const shimPid = shims.get(c.record.id) ?? 0;
    const status = c.state.status;
    if (status === 'removing') {
      if (shimPid) c.state.shimPid = shimPid;
      await h.remove(c).catch((e) => lifecycleWarn('finishing its removal', c.record.id, e));
      continue;
    }
    if (shimPid && (status === 'running' || status === 'paused')) {
      warnNewerShim(c);
      if (c.state.shimPid !== shimPid) await h.setState(c, { shimPid });
      h.watch(c);
      continue;
    }
    if (shimPid && (await adoptUnrecorded(h, c, shimPid))) continue;
    if (status === 'running' || status === 'paused') {
      await h.finishExit(c);
      continue;
    }
    // created, exited or restarting: nothing of an interrupted start may stay behind
    const cg = h.cgroup(c);
    if (!(await killCgroup(cg))) lifecycleWarn('killing the processes of an interrupted start', c.record.id, 'still there');
    await cg.remove().catch((e) => lifecycleWarn('removing the cgroup of an interrupted start', c.record.id, e));
    if (status === 'restarting') {
      await h.setState(c, { status: 'exited' });
      h.restartLater(c);
    }
  }
}

/**
 * A shim from an older release (an upgrade) is adopted as it is: every protocol version so
 * far is one this agent speaks. One from a newer release (a rollback) keeps running and its
 * exit is still recorded, but attaching to it is refused: said once here, at adoption.
 */
function warnNewerShim(c: StoredContainer): void {
  try {
    shimProtocol(c.dir);
  } catch (e) {
    lifecycleWarn('adopting its shim', c.record.id, e);
  }
}

/**
 * A shim runs for a container recorded as not running: the agent died between the
 * shim's report and writing state.json. The start is completed (recorded as running)
 * once the shim's pid files are there; a shim that never gets there is killed.
 */
async function adoptUnrecorded(h: AdoptHost, c: StoredContainer, shimPid: number): Promise<boolean> {
  const until = Date.now() + START_GRACE_MS;
  while (isShimOf(shimPid, c.dir)) {
    // a shim that wrote exit.json is a finished run on its way out (it lingers up to 1 s
    // for its attach clients), not a start: a new start removes exit.json before its shim
    if (existsSync(join(c.dir, 'exit.json'))) return false;
    const pid = readPidFile(c.dir, 'init.pid');
    if (readPidFile(c.dir, 'shim.pid') === shimPid && pid) {
      await h.setState(c, {
        status: 'running',
        pid,
        shimPid,
        startedAt: h.now(),
        exitCode: 0,
        oomKilled: false,
        error: '',
        stoppedByUser: false,
      });
      h.watch(c);
      return true;
    }
    if (Date.now() > until) {
      lifecycleWarn('a shim found mid-start', c.record.id, 'it did not report in time and is killed');
      await killCgroup(h.cgroup(c));
      try {
        process.kill(shimPid, 'SIGKILL');
      } catch (e) {
        lifecycleWarn('killing a shim found mid-start', c.record.id, e);
      }
      return false;
    }
    await sleep(20);
  }
  return false;
}
