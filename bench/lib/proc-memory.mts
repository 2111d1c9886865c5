/** Memory as the kernel reports it for the density bench: /proc/meminfo, smaps_rollup and status (all in kB). */
import { readdirSync, readFileSync, readlinkSync } from 'node:fs';
import { basename } from 'node:path';

/** kB fields of /proc/meminfo */
export function meminfo(): Record<string, number> {
  const out: Record<string, number> = {};
  for (const line of readFileSync('/proc/meminfo', 'utf8').split('\n')) {
    const m = /^(\w+(?:\(\w+\))?):\s+(\d+)/.exec(line);
    if (m) out[m[1]!] = Number(m[2]);
  }
  return out;
}

const field = (t: string, name: string) => Number(new RegExp(`^${name}:\\s+(\\d+)`, 'm').exec(t)?.[1] ?? 0);

/**
 * Rss, Pss and Uss (private pages: what leaving would give back) in kB of a process from
 * /proc/<pid>/smaps_rollup; undefined when it is gone
 */
export function smapsRollup(pid: number): { rss: number; pss: number; uss: number } | undefined {
  try {
    const t = readFileSync(`/proc/${pid}/smaps_rollup`, 'utf8');
    return { rss: field(t, 'Rss'), pss: field(t, 'Pss'), uss: field(t, 'Private_Clean') + field(t, 'Private_Dirty') };
  } catch {
    return undefined;
  }
}

/** a process and all its descendants (through every thread's children) */
export function processTree(pid: number): number[] {
  const out = [pid];
  for (let i = 0; i < out.length; i++) {
    try {
      for (const t of readdirSync(`/proc/${out[i]}/task`))
        for (const c of readFileSync(`/proc/${out[i]}/task/${t}/children`, 'utf8').split(' ').filter(Boolean)) out.push(Number(c));
    } catch {
      // it ended while we looked: its children are reparented, not ours to count
    }
  }
  return out;
}

export interface Kb {
  rss: number;
  pss: number;
  uss: number;
}

/**
 * A process's memory by what is mapped (kB), from /proc/<pid>/smaps: the executable and
 * libnode, each native addon, other shared libraries, the malloc heap, anonymous memory
 * (V8's heap, malloc arenas, thread stacks) and named files. For "where does it go".
 */
export function smapsByMapping(pid: number): Map<string, Kb> {
  const out = new Map<string, Kb>();
  let group = '';
  const exe = readlinkSync(`/proc/${pid}/exe`);
  for (const line of readFileSync(`/proc/${pid}/smaps`, 'utf8').split('\n')) {
    const head = /^[0-9a-f]+-[0-9a-f]+ \S+ \S+ \S+ \d+\s*(.*)$/.exec(line);
    if (head) {
      const path = head[1]!.trim();
      group =
        path === exe || /libnode\.so/.test(path)
          ? `executable (${basename(exe)}, libnode)`
          : path.endsWith('.node')
            ? `addon ${basename(path)}`
            : /\.so(\.|$)/.test(path)
              ? 'shared libraries'
              : path === '[heap]'
                ? 'malloc heap ([heap])'
                : path === ''
                  ? 'anonymous (V8 heap, malloc arenas, stacks)'
                  : path.startsWith('[')
                    ? 'kernel ([stack], [vdso], …)'
                    : `file ${basename(path)}`;
      if (!out.has(group)) out.set(group, { rss: 0, pss: 0, uss: 0 });
      continue;
    }
    const m = /^(Rss|Pss|Private_Clean|Private_Dirty):\s+(\d+)/.exec(line);
    if (!m || !group) continue;
    const g = out.get(group)!;
    if (m[1] === 'Rss') g.rss += Number(m[2]);
    else if (m[1] === 'Pss') g.pss += Number(m[2]);
    else g.uss += Number(m[2]);
  }
  return out;
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
