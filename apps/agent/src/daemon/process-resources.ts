import { readdirSync } from 'node:fs';
import { logger } from '@skiff/logger';

const log = logger.child({ component: 'agent' });

/**
 * What the agent process holds open, for `docker info` (NFd, NGoroutines) and tRPC's
 * `system.resources`: a stream that forgets to let go of a file, socket, timer or abort
 * listener shows here as a count that climbs with every call (issue 31).
 */
export interface ProcessResources {
  /** open file descriptors (/proc/self/fd) */
  fds: number;
  /** libuv handles and requests keeping the loop alive (process.getActiveResourcesInfo) */
  handles: number;
  /** the same, by kind (TCPWrap, PipeWrap, Timeout, FSReqCallback…) */
  handleTypes: Record<string, number>;
  rssBytes: number;
  heapUsedBytes: number;
  /** MaxListenersExceededWarning emitted since the agent started: each is a listener leak */
  maxListenersWarnings: number;
}

let maxListenersWarnings = 0;
// counted from when the agent's servers load this module, i.e. from its start (a 'warning'
// listener does not silence Node's own print of the warning)
process.on('warning', (w) => {
  if (w.name === 'MaxListenersExceededWarning') maxListenersWarnings++;
});

function openFds(): number {
  try {
    // the directory's own fd, open while it is read, is not counted
    return readdirSync('/proc/self/fd').length - 1;
  } catch (e) {
    log.warn('counting open files', { err: e });
    return -1;
  }
}

export function processResources(): ProcessResources {
  const active = process.getActiveResourcesInfo();
  const handleTypes: Record<string, number> = {};
  for (const kind of active) handleTypes[kind] = (handleTypes[kind] ?? 0) + 1;
  const mem = process.memoryUsage();
  return { fds: openFds(), handles: active.length, handleTypes, rssBytes: mem.rss, heapUsedBytes: mem.heapUsed, maxListenersWarnings };
}
