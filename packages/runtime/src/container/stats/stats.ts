import { cpus } from 'node:os';
import { readFile } from 'node:fs/promises';
import type { ContainerStats } from '../../types.js';
import type { ContainerCgroup } from '../cgroup/cgroups.js';

interface CpuSample {
  cpuNs: number;
  systemNs: number;
}
const previous = new Map<string, CpuSample>();

/** Host CPU time from /proc/stat in ns (USER_HZ is 100 on Linux), the base of Docker's cpu %. */
async function systemCpuNs(): Promise<number> {
  const stat = await readFile('/proc/stat', 'utf8');
  const fields = stat.split('\n')[0]!.trim().split(/\s+/).slice(1, 8).map(Number);
  return fields.reduce((a, b) => a + b, 0) * 10_000_000;
}

/** rx/tx of every interface except lo, read through the container's own /proc/<pid>/net/dev */
async function netBytes(pid: number): Promise<{ rx: number; tx: number }> {
  if (!pid) return { rx: 0, tx: 0 };
  const text = await readFile(`/proc/${pid}/net/dev`, 'utf8').catch(() => '');
  let rx = 0,
    tx = 0;
  for (const line of text.split('\n').slice(2)) {
    const [iface, rest] = line.split(':');
    if (!rest || iface!.trim() === 'lo') continue;
    const f = rest.trim().split(/\s+/).map(Number);
    rx += f[0]!;
    tx += f[8]!;
  }
  return { rx, tx };
}

/**
 * One stats sample. CPU % is computed against the previous sample of the same container
 * (Docker's formula: container delta / system delta x online CPUs x 100); the first call
 * takes two samples 100 ms apart so it never reports a meaningless 0.
 */
export async function sampleStats(id: string, cg: ContainerCgroup, pid: number): Promise<ContainerStats> {
  let prev = previous.get(id);
  if (!prev) {
    const s = await cg.stats();
    prev = { cpuNs: s.cpuNs, systemNs: await systemCpuNs() };
    await new Promise((r) => setTimeout(r, 100));
  }
  const [s, systemNs, net] = await Promise.all([cg.stats(), systemCpuNs(), netBytes(pid)]);
  const onlineCpus = cpus().length;
  const cpuDelta = s.cpuNs - prev.cpuNs;
  const sysDelta = systemNs - prev.systemNs;
  previous.set(id, { cpuNs: s.cpuNs, systemNs });
  if (previous.size > 10_000) previous.clear();
  return {
    read: new Date().toISOString(),
    cpuPercent: sysDelta > 0 && cpuDelta > 0 ? (cpuDelta / sysDelta) * onlineCpus * 100 : 0,
    cpuTotalNs: s.cpuNs,
    systemNs,
    onlineCpus,
    memoryUsage: s.memUsage,
    memoryLimit: s.memLimit || (await hostMemory()),
    pids: s.pids,
    netRx: net.rx,
    netTx: net.tx,
    blockRead: s.blkRead,
    blockWrite: s.blkWrite,
  };
}

async function hostMemory(): Promise<number> {
  const { totalmem } = await import('node:os');
  return totalmem();
}
