import { readFileSync } from 'node:fs';

/** /proc/self/limits rows by Docker's ulimit names */
const ROWS: Record<string, string> = {
  core: 'Max core file size',
  cpu: 'Max cpu time',
  data: 'Max data size',
  fsize: 'Max file size',
  locks: 'Max file locks',
  memlock: 'Max locked memory',
  msgqueue: 'Max msgqueue size',
  nice: 'Max nice priority',
  nofile: 'Max open files',
  nproc: 'Max processes',
  rss: 'Max resident set',
  rtprio: 'Max realtime priority',
  rttime: 'Max realtime timeout',
  sigpending: 'Max pending signals',
  stack: 'Max stack size',
};

/**
 * The agent's own hard limit of a resource (Infinity for unlimited or unknown): what a
 * caller below admin may give a container at most. Above it a container gets more than
 * the host grants its own services (rtprio lets processes run real-time, past any CPU share).
 */
export function agentHardLimit(name: string): number {
  const row = ROWS[name];
  if (!row) return Infinity;
  let text: string;
  try {
    text = readFileSync('/proc/self/limits', 'utf8');
  } catch (e) {
    process.stderr.write(`skiff: cannot read /proc/self/limits (${(e as Error).message}); ulimits for non-admins are capped at 0\n`);
    return 0;
  }
  const line = text.split('\n').find((l) => l.startsWith(row));
  const hard = line?.slice(row.length).trim().split(/\s+/)[1];
  return !hard || hard === 'unlimited' ? Infinity : Number(hard);
}
