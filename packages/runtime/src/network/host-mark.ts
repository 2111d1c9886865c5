import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { writeFileAtomicUnsynced } from '../store/atomic-file.js';

/**
 * Which agent made a host object (bridge ifalias, nft table comment): `skiff:<agent>:<root-id>`.
 * The agent is named by its default bridge (SKIFF_BRIDGE, `skiff0`); the root id is random,
 * written into the root at its first start, so a wiped root gets a new one. An object marked
 * with this agent's name but another root id was left by a previous installation.
 */
export interface HostMark {
  agent: string;
  rootId: string;
}

const MARK_RE = /^skiff:([A-Za-z0-9_.-]{1,15}):([0-9a-f]{16,64})$/;

export function formatMark(m: HostMark): string {
  return `skiff:${m.agent}:${m.rootId}`;
}

export function parseMark(text: string): HostMark | undefined {
  const m = MARK_RE.exec(text.trim());
  return m ? { agent: m[1]!, rootId: m[2]! } : undefined;
}

/** the root's id (`<root>/host-id`), made on first use */
export function loadRootId(root: string): string {
  const file = join(root, 'host-id');
  try {
    const id = readFileSync(file, 'utf8').trim();
    if (/^[0-9a-f]{16,64}$/.test(id)) return id;
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== 'ENOENT') throw e;
  }
  const id = randomBytes(16).toString('hex');
  writeFileAtomicUnsynced(file, `${id}\n`);
  return id;
}
