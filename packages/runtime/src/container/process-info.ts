import { readFile } from 'node:fs/promises';

/** True when `pid` is alive and is a skiff shim (a recycled pid after a reboot is not). */
export async function isShimAlive(pid: number): Promise<boolean> {
  if (!pid) return false;
  try {
    process.kill(pid, 0);
  } catch {
    return false;
  }
  const cmdline = await readFile(`/proc/${pid}/cmdline`, 'utf8').catch(() => '');
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
