import { randomBytes } from 'node:crypto';
import { renameSync, unlinkSync, writeFileSync } from 'node:fs';
import { open, rename, unlink } from 'node:fs/promises';
import { cleanupFailed, logger } from '@skiff/logger';

const log = logger.child({ component: 'store' });

/**
 * Writes a file so readers see either the old or the new content, never a torn one:
 * write a sibling temp file, fsync it, then rename over the target.
 */
export async function writeFileAtomic(path: string, data: string | Buffer, mode = 0o644): Promise<void> {
  const tmp = `${path}.${randomBytes(4).toString('hex')}.tmp`;
  const fh = await open(tmp, 'w', mode);
  try {
    await fh.writeFile(data);
    await fh.sync();
  } catch (e) {
    // a short write (a full disk) must not leave its partial temp file taking space
    await fh.close();
    await unlink(tmp).catch(cleanupFailed(log, 'removing a partial temp file', { file: tmp }));
    throw e;
  }
  await fh.close();
  try {
    await rename(tmp, path);
  } catch (e) {
    await unlink(tmp).catch(cleanupFailed(log, 'removing a temp file that was not renamed', { file: tmp }));
    throw e;
  }
}

/**
 * The same without fsync, synchronously: for small state files on the start/stop path
 * that are rebuilt from the running system after a host crash anyway (the rename alone
 * keeps readers from a torn file when the agent dies), where four thread-pool round trips
 * cost more than the page-cache writes themselves.
 */
export function writeFileAtomicUnsynced(path: string, data: string | Buffer, mode = 0o644): void {
  const tmp = `${path}.${randomBytes(4).toString('hex')}.tmp`;
  try {
    writeFileSync(tmp, data, { mode });
    renameSync(tmp, path);
  } catch (e) {
    try {
      unlinkSync(tmp);
    } catch (ue) {
      // ENOENT when the write itself failed to create it
      cleanupFailed(log, 'removing a temp file that was not renamed', { file: tmp })(ue);
    }
    throw e;
  }
}

export function writeJsonAtomicUnsynced(path: string, value: unknown): void {
  writeFileAtomicUnsynced(path, JSON.stringify(value, null, 2) + '\n');
}

export async function writeJsonAtomic(path: string, value: unknown): Promise<void> {
  await writeFileAtomic(path, JSON.stringify(value, null, 2) + '\n');
}
