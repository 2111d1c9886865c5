import type { LogChunk, LogEntry, LogStreamOptions, LogsOptions } from '../../types.js';
import type { ContainerContext } from '../context.js';
import { readContainerLogChunks, readContainerLogStream, readContainerLogs } from '../logs/log-reader.js';
import type { StoredContainer } from '../store/container-store.js';

type ReadOptions = LogsOptions & { signal?: AbortSignal };

/** a follow ends once the container stopped (and the log is drained) */
const logDone = (c: StoredContainer) => c.state.status !== 'running' && c.state.status !== 'paused' && c.state.status !== 'restarting';

export function logs(ctx: ContainerContext, idOrName: string, opts: ReadOptions = {}): AsyncIterable<LogEntry> {
  const c = ctx.store.get(idOrName);
  return readContainerLogs(c.dir, opts, () => logDone(c));
}

export function logChunks(ctx: ContainerContext, idOrName: string, opts: ReadOptions = {}): AsyncIterable<LogChunk[]> {
  const c = ctx.store.get(idOrName);
  return readContainerLogChunks(c.dir, opts, () => logDone(c));
}

/** the same lines as Docker's stream bytes: multiplexed frames, or raw for a TTY container (`raw`) */
export function logStream(ctx: ContainerContext, idOrName: string, opts: ReadOptions & LogStreamOptions = {}): AsyncIterable<Buffer> {
  const c = ctx.store.get(idOrName);
  return readContainerLogStream(c.dir, opts, () => logDone(c));
}
