import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { z } from 'zod';
import { SkiffError } from '../errors.js';
import { writeJsonAtomic } from './atomic-file.js';
import { checkVersion, FORMAT } from './format-version.js';

/** `<root>/format`: the layout version of the whole root (see format-version.ts). */
export const ROOT_FORMAT_FILE = 'format';

const RootFormat = z.object({ version: z.number().int().positive() }).passthrough();

/**
 * Refuses a root a newer release wrote, before anything in it is touched: the stores
 * would otherwise read (and rewrite) files they do not understand. A root without the
 * file is what releases before versioning made: version 1 (`recorded` false).
 */
export function checkRootFormat(root: string): { version: number; recorded: boolean } {
  const file = join(root, ROOT_FORMAT_FILE);
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== 'ENOENT') throw new SkiffError('INTERNAL', `reading ${file}: ${(e as Error).message}`, { cause: e });
    // an empty or missing root is a new one: it gets the current version
    return { version: existsSync(root) && readdirSync(root).length ? 1 : FORMAT.root, recorded: false };
  }
  let parsed: z.infer<typeof RootFormat>;
  try {
    parsed = RootFormat.parse(JSON.parse(text));
  } catch (e) {
    throw new SkiffError('INTERNAL', `${file} is damaged (${(e as Error).message}); it should read {"version":N}`, { cause: e });
  }
  return { version: checkVersion(file, parsed.version, FORMAT.root), recorded: true };
}

/**
 * Records this release's root version once the root is open. A root at an older version
 * is migrated by the stores as they open it (each file carries its own version), so by
 * now it is at the current one.
 */
export async function writeRootFormat(root: string, found: { version: number; recorded: boolean }): Promise<void> {
  if (found.recorded && found.version === FORMAT.root) return;
  await writeJsonAtomic(join(root, ROOT_FORMAT_FILE), { version: FORMAT.root });
}
