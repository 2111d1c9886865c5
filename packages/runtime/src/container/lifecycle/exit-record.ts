import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { FORMAT, readVersioned } from '../../store/format-version.js';
import { lifecycleLog } from './log.js';

/** exit.json, written atomically by the shim once the container's init has exited */
export interface ExitRecord {
  exitCode: number;
  signal: number;
  finishedAt: string;
  oomKilled: boolean;
}

/**
 * The shim's exit record, undefined while there is none. Older shims (still running
 * across an upgrade) write it without a version: 1. One from a newer shim than this agent
 * knows is refused with a logged error; the exit then counts as a shim gone without one.
 */
export async function readExitRecord(containerDir: string): Promise<ExitRecord | undefined> {
  const file = join(containerDir, 'exit.json');
  let json: unknown;
  try {
    json = JSON.parse(readFileSync(file, 'utf8'));
  } catch {
    return undefined; // not written yet (the usual case while the container runs)
  }
  try {
    return readVersioned<ExitRecord>(file, json, FORMAT.exitRecord);
  } catch (e) {
    lifecycleLog.error('an exit record is unreadable', { file, err: e });
    return undefined;
  }
}
