import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { z } from 'zod';
import { checkVersion, FORMAT } from '../../store/format-version.js';
import { readPidFile } from '../lifecycle/shim-process.js';
import { logger } from '@skiff/logger';

const log = logger.child({ component: 'shim' });

/** written by the shim next to attach.sock (native/shim/shim.h SHIM_PROTOCOL_FILE) */
export const SHIM_PROTOCOL_FILE = 'shim-protocol.json';

const ProtocolFile = z.object({ version: z.number().int().positive(), pid: z.number().int().positive() });

/**
 * The attach/exec protocol version the container's running shim speaks. A shim older than
 * versioning writes no file: 1. The file names its shim's pid, so one left by an earlier
 * shim of the same container (a rollback's older shim writes none) does not count. A shim
 * newer than this agent (a rollback while it ran) is refused with FormatTooNew: this agent
 * cannot know what its frames mean.
 */
export function shimProtocol(containerDir: string): number {
  const file = join(containerDir, SHIM_PROTOCOL_FILE);
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch {
    return 1; // no file: a shim from before versioning
  }
  let parsed: z.infer<typeof ProtocolFile>;
  try {
    parsed = ProtocolFile.parse(JSON.parse(text));
  } catch (e) {
    log.error('a shim protocol file is damaged: its shim is taken to speak version 1', { file, err: e });
    return 1;
  }
  if (parsed.pid !== readPidFile(containerDir, 'shim.pid')) return 1;
  return checkVersion(file, parsed.version, FORMAT.shimProtocol);
}
