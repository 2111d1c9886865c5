/** Memory as the kernel reports it for the density bench: /proc/meminfo, smaps_rollup and status (all in kB). */
import { readFileSync } from 'node:fs';

/** kB fields of /proc/meminfo */
export function meminfo(): Record<string, number> {
  const out: Record<string, number> = {};
  for (const line of readFileSync('/proc/meminfo', 'utf8').split('\n')) {
    const m = /^(\w+(?:\(\w+\))?):\s+(\d+)/.exec(line);
    if (m) out[m[1]!] = Number(m[2]);
  }
  return out;
}

/** Rss and Pss (kB) of a process from /proc/<pid>/smaps_rollup; undefined when it is gone */
export function smapsRollup(pid: number): { rss: number; pss: number } | undefined {
  try {
    const t = readFileSync(`/proc/${pid}/smaps_rollup`, 'utf8');
    return { rss: Number(/^Rss:\s+(\d+)/m.exec(t)![1]), pss: Number(/^Pss:\s+(\d+)/m.exec(t)![1]) };
  } catch {
    return undefined;
  }
}

/** VmRSS and VmHWM (kB) */
export function processRss(pid: number): { rss: number; hwm: number } {
  const t = readFileSync(`/proc/${pid}/status`, 'utf8');
  return { rss: Number(/^VmRSS:\s+(\d+)/m.exec(t)![1]), hwm: Number(/^VmHWM:\s+(\d+)/m.exec(t)![1]) };
}

/** what the kernel allocated for itself between two /proc/meminfo samples (kB) */
export const kernelKb = (before: Record<string, number>, after: Record<string, number>) =>
  ['Slab', 'KernelStack', 'PageTables', 'SecPageTables', 'Percpu'].reduce((sum, k) => sum + (after[k] ?? 0) - (before[k] ?? 0), 0);

export const readPid = (file: string) => Number(readFileSync(file, 'utf8').trim());
export const mib = (kb: number) => kb / 1024;
