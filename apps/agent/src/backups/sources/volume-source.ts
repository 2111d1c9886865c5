import { logger } from '@skiff/logger';
import type { Runtime } from '@skiff/runtime';
import type { z } from 'zod';
import type { volumeTarget } from '../plan-schema.js';
import { execChecked } from './exec-stream.js';
import type { BackupSource } from './source.js';

const log = logger.child({ component: 'backup' });

type VolumeTarget = z.infer<typeof volumeTarget>;

/** running containers that mount the volume (those a pause must freeze) */
async function runningUsers(runtime: Runtime, volume: string): Promise<string[]> {
  const v = await runtime.volumes.inspect(volume);
  const running = new Set((await runtime.containers.list({ filters: { status: ['running'] } })).map((c) => c.id));
  return v.usedBy.filter((id) => running.has(id));
}

/**
 * A volume's content as a tar (the runtime reads it over fds: symlinks are archived, never
 * followed). For a consistent copy the plan may run a pre-hook in a container (a flush, a
 * lock) and/or pause the running containers that mount the volume; the post-hook and the
 * unpause always run, even when the read failed.
 */
export async function volumeSource(runtime: Runtime, t: VolumeTarget): Promise<BackupSource> {
  await runtime.volumes.inspect(t.volume); // a missing volume fails before any hook runs
  if (t.hook?.pre) await execChecked(runtime, t.hook.container, t.hook.pre, 'the pre-hook');
  const paused: string[] = [];
  const undo = async (): Promise<string[]> => {
    const errors: string[] = [];
    for (const id of paused) {
      await runtime.containers.unpause(id).catch((e: Error) => {
        log.error('unpausing a container after a backup failed', { container: id, err: e });
        errors.push(`unpause ${id.slice(0, 12)}: ${e.message}`);
      });
    }
    if (t.hook?.post)
      await execChecked(runtime, t.hook.container, t.hook.post, 'the post-hook').catch((e: Error) => {
        log.error('a backup post-hook failed', { container: t.hook?.container, err: e });
        errors.push(e.message);
      });
    return errors;
  };
  try {
    if (t.pause) {
      for (const id of await runningUsers(runtime, t.volume)) {
        await runtime.containers.pause(id);
        paused.push(id);
      }
    }
    const stream = await runtime.volumes.archive(t.volume);
    return {
      kind: 'volume',
      stream,
      async finish() {
        const errors = await undo();
        if (errors.length) throw new Error(errors.join('; '));
      },
    };
  } catch (e) {
    await undo();
    throw e;
  }
}
