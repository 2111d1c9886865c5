import { logger } from '@skiff/logger';

const log = logger.child({ component: 'agent' });

export interface IdleGcOptions {
  /** V8's gc() (`--expose-gc`, bin/skiff); without it nothing is done */
  gc?: () => void;
  /** how often the agent looks whether it has gone quiet */
  periodMs?: number;
  /** at most this much CPU in a period is quiet */
  quietCpuMs?: number;
}

/**
 * One full GC once the agent goes quiet after a burst of work. V8 collects only when the
 * program allocates, so an agent that has just pulled an image or served the dashboard
 * keeps that burst's garbage (buffers of 10–15 MiB, idle new space) resident for as long
 * as it stays idle: 108–123 MiB RSS at idle depending on whether a GC happened to run last
 * (bench/idle-memory.mts). A busy agent allocates, so V8 collects by itself; this only
 * acts on the edge from busy to quiet, once per burst. Returns the stop.
 */
export function collectWhenIdle(opts: IdleGcOptions = {}): () => void {
  const { gc, periodMs = 15_000, quietCpuMs = 50 } = opts;
  if (!gc) return () => {};
  let last = process.cpuUsage();
  // the start-up was a burst too (migrations, the schema engine, re-adoption)
  let busy = true;
  const timer = setInterval(() => {
    const now = process.cpuUsage(last);
    last = process.cpuUsage();
    if ((now.user + now.system) / 1000 > quietCpuMs) {
      busy = true;
      return;
    }
    if (!busy) return;
    busy = false;
    const before = process.memoryUsage.rss();
    gc();
    log.debug('collected garbage after a burst', { rssBefore: before, rssAfter: process.memoryUsage.rss() });
  }, periodMs);
  timer.unref();
  return () => clearInterval(timer);
}
