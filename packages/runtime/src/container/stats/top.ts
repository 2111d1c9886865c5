import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { InvalidArgument } from '../../errors.js';
import type { ProcessList } from '../../types.js';

const run = promisify(execFile);

/**
 * `docker top`: runs the host's `ps` (default `-ef`) and keeps the rows whose PID is one
 * of the container's (from its cgroup), exactly how Docker does it.
 */
export async function containerTop(pids: number[], psArgs = '-ef'): Promise<ProcessList> {
  const args = psArgs.trim().split(/\s+/).filter(Boolean);
  let stdout: string;
  try {
    ({ stdout } = await run('ps', [...args], { maxBuffer: 64 * 1024 * 1024 }));
  } catch (e) {
    throw new InvalidArgument(`ps ${psArgs} failed: ${(e as Error).message.split('\n')[0]}`);
  }
  const lines = stdout.split('\n').filter(Boolean);
  const header = lines.shift() ?? '';
  const titles = header.trim().split(/\s+/);
  const pidCol = titles.indexOf('PID');
  if (pidCol < 0) throw new InvalidArgument(`couldn't find PID field in ps output (ps ${psArgs})`);
  const wanted = new Set(pids);
  const processes: string[][] = [];
  for (const line of lines) {
    const fields = line.trim().split(/\s+/);
    if (!wanted.has(Number(fields[pidCol]))) continue;
    // the last column (CMD/COMMAND) may contain spaces
    const head = fields.slice(0, titles.length - 1);
    head.push(fields.slice(titles.length - 1).join(' '));
    processes.push(head);
  }
  return { titles, processes };
}
