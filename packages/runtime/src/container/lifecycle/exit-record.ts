import { readFileSync } from 'node:fs';
import { join } from 'node:path';

/** exit.json, written atomically by the shim once the container's init has exited */
export interface ExitRecord {
  exitCode: number;
  signal: number;
  finishedAt: string;
  oomKilled: boolean;
}

export async function readExitRecord(containerDir: string): Promise<ExitRecord | undefined> {
  try {
    return JSON.parse(readFileSync(join(containerDir, 'exit.json'), 'utf8')) as ExitRecord;
  } catch {
    return undefined;
  }
}
