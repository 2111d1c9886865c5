import { readFileSync } from 'node:fs';
import { readFile } from 'node:fs/promises';

/** True when `pid` is alive and is a skiff shim (a recycled pid after a reboot is not). */
export async function isShimAlive(pid: number): Promise<boolean> {
  if (!pid) return false;
  try {
    process.kill(pid, 0);
  } catch {
    return false;
  }
  let cmdline = '';
  try {
    cmdline = readFileSync(`/proc/${pid}/cmdline`, 'utf8');
  } catch {
    /* gone meanwhile */
  }
  // a zombie (exited, not yet reaped by this agent) has an empty cmdline and counts as dead
  return cmdline.includes('skiff-shim');
}

export function isProcessAlive(pid: number): boolean {
  if (!pid) return false;
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** Direct children of `pid` (the kernel's children list, else a scan of /proc). */
export async function childPids(pid: number): Promise<number[]> {
  const listed = await readFile(`/proc/${pid}/task/${pid}/children`, 'utf8').catch(() => undefined);
  if (listed !== undefined) return listed.split(/\s+/).filter(Boolean).map(Number);
  const out: number[] = [];
  const { readdir } = await import('node:fs/promises');
  for (const e of await readdir('/proc').catch(() => [] as string[])) {
    if (!/^\d+$/.test(e)) continue;
    const stat = await readFile(`/proc/${e}/stat`, 'utf8').catch(() => '');
    // the command name may hold spaces and parens; ppid is the 2nd field after the last ')'
    const ppid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
    if (ppid === pid) out.push(Number(e));
  }
  return out;
}
