/**
 * Where one container start spends its time, for benchmarks and profiling: marks taken
 * by the agent, and the shim's own (it reports them with `trace=1` in shim.conf), all on
 * CLOCK_MONOTONIC, which process.hrtime reads too.
 */
export type StartPhases = Record<string, number>;

const SHIM_PHASES: [from: string, to: string, phase: string][] = [
  ['spawn', 'main', 'shim spawn (posix_spawn, exec, dynamic loading)'],
  ['main', 'clone', 'shim setup (config, pipes)'],
  ['clone', 'child', 'clone (pid/mount/uts/ipc namespaces)'],
  ['child', 'net', 'join network namespace'],
  ['net', 'cgroup', 'join cgroups'],
  ['cgroup', 'rootfs', 'rootfs (overlay, /proc /dev /sys, pivot_root)'],
  ['rootfs', 'security', 'identity and security (caps, no-new-privs, seccomp)'],
  ['security', 'report', 'exec'],
  ['report', 'seen', 'report back to the agent'],
];

export class StartTimeline {
  readonly phases: StartPhases = {};
  private last = process.hrtime.bigint();

  /** time since the previous mark goes to `phase` */
  mark(phase: string): void {
    const now = process.hrtime.bigint();
    this.phases[phase] = (this.phases[phase] ?? 0) + Number(now - this.last) / 1e6;
    this.last = now;
  }

  /** splits the shim's part (spawn call → report seen) into the shim's own phases */
  addShim(spawnAt: bigint, seenAt: bigint, shimMarks: Record<string, bigint>): void {
    const t: Record<string, bigint> = { ...shimMarks, spawn: spawnAt, seen: seenAt };
    for (const [from, to, phase] of SHIM_PHASES) {
      if (t[from] && t[to]) this.phases[phase] = Number(t[to]! - t[from]!) / 1e6;
    }
    this.last = seenAt;
  }
}

/** `main:123,conf:456,...` → marks in ns */
export function parseShimTrace(text: string): Record<string, bigint> {
  const out: Record<string, bigint> = {};
  for (const part of text.split(',')) {
    const [k, v] = part.split(':');
    if (k && v && /^\d+$/.test(v) && v !== '0') out[k] = BigInt(v);
  }
  return out;
}
