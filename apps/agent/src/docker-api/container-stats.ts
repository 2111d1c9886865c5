import type { ContainerStats } from '@skiff/runtime';
import type { ContainerStatsBackend } from './backend.js';
import { sendJson, truthy } from './http.js';
import { startJsonStream } from './query.js';
import { param, type Call, type Route } from './route.js';
import { onStopping } from '../daemon/stopping.js';

function cpuJson(s: ContainerStats | undefined) {
  return {
    cpu_usage: { total_usage: s?.cpuTotalNs ?? 0, usage_in_kernelmode: 0, usage_in_usermode: 0 },
    system_cpu_usage: s?.systemNs ?? 0,
    online_cpus: s?.onlineCpus ?? 0,
    throttling_data: { periods: 0, throttled_periods: 0, throttled_time: 0 },
  };
}

/**
 * Docker's stats shape (cgroup v2 flavour). The client computes CPU % from the cpu_stats /
 * precpu_stats deltas (container ns / host ns x online CPUs), memory as usage minus
 * inactive_file, block I/O from io_service_bytes_recursive's read/write entries.
 */
function statsJson(id: string, name: string, cur: ContainerStats, pre: ContainerStats | undefined) {
  const blk = (op: string, value: number) => ({ major: 0, minor: 0, op, value });
  return {
    name,
    id,
    read: cur.read,
    preread: pre?.read ?? '0001-01-01T00:00:00Z',
    pids_stats: { current: cur.pids },
    blkio_stats: {
      io_service_bytes_recursive: [blk('read', cur.blockRead), blk('write', cur.blockWrite)],
      io_serviced_recursive: null,
      io_queue_recursive: null,
      io_service_time_recursive: null,
      io_wait_time_recursive: null,
      io_merged_recursive: null,
      io_time_recursive: null,
      sectors_recursive: null,
    },
    num_procs: 0,
    storage_stats: {},
    cpu_stats: cpuJson(cur),
    precpu_stats: cpuJson(pre),
    memory_stats: { usage: cur.memoryUsage, stats: {}, limit: cur.memoryLimit },
    networks: { eth0: { rx_bytes: cur.netRx, rx_packets: 0, rx_errors: 0, rx_dropped: 0, tx_bytes: cur.netTx, tx_packets: 0, tx_errors: 0, tx_dropped: 0 } },
  };
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function stats(c: Call<ContainerStatsBackend>): Promise<void> {
  const info = await c.runtime.containers.inspect(param(c));
  const full = info.Id;
  const name = info.Name;
  const stream = c.url.searchParams.get('stream') === null || truthy(c.url.searchParams.get('stream'));
  const sample = () => c.runtime.containers.stats(full);
  if (!stream) {
    const oneShot = truthy(c.url.searchParams.get('one-shot'));
    const pre = oneShot ? undefined : await sample();
    if (pre) await sleep(500);
    sendJson(c.res, 200, statsJson(full, name, await sample(), pre));
    return;
  }
  const line = startJsonStream(c.res);
  let closed = false;
  c.res.once('close', () => (closed = true));
  // the agent stopping ends the stream after the sample in flight
  const offStopping = onStopping(() => (closed = true));
  c.res.once('close', offStopping);
  let pre: ContainerStats | undefined;
  while (!closed) {
    let cur: ContainerStats;
    try {
      cur = await sample();
    } catch {
      break; // removed meanwhile
    }
    line(statsJson(full, name, cur, pre));
    pre = cur;
    await sleep(1000);
  }
  c.res.end();
}

/** `GET /containers/{id}/stats`: one sample, or a line a second until the client goes */
export const CONTAINER_STATS_ROUTES: Route<ContainerStatsBackend>[] = [{ method: 'GET', pattern: /^\/containers\/([^/]+)\/stats$/, handle: stats }];
