import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { Conflict } from '../errors.js';
import { ipBatch, ipJson } from './commands.js';
import { formatMark, parseMark, type HostMark } from './host-mark.js';

const SYS_NET = '/sys/class/net';

export interface HostBridge {
  name: string;
  /** the link's ifalias: a skiff mark, or whatever someone else put there */
  alias: string;
}

/** every bridge on the host with its ifalias */
export function hostBridges(): HostBridge[] {
  const out: HostBridge[] = [];
  for (const name of readdirSync(SYS_NET)) {
    if (!existsSync(`${SYS_NET}/${name}/bridge`)) continue;
    let alias = '';
    try {
      alias = readFileSync(`${SYS_NET}/${name}/ifalias`, 'utf8').trim();
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'ENOENT') throw e;
    }
    out.push({ name, alias });
  }
  return out;
}

export type BridgeVerdict =
  /** a bridge of this root's networks (or the unmarked default bridge of an older version) */
  | 'own'
  /** marked by this agent under a root that no longer exists: wiped or reinstalled */
  | 'previous-install'
  /** marked by this agent and this root, but no network of it uses it */
  | 'unknown'
  /** the default bridge's name, unmarked (an older version made it), and no default network in the store */
  | 'legacy-default'
  /** somebody else's: never touched */
  | 'foreign';

/**
 * Sorts a bridge: `known` holds the bridge names of the store's networks, `defaultBridge`
 * is the configured name of this agent's default bridge (and the agent part of its mark).
 */
export function classifyBridge(b: HostBridge, mark: HostMark, known: Set<string>): BridgeVerdict {
  const m = parseMark(b.alias);
  if (!m) {
    if (b.alias) return 'foreign';
    // unmarked: an older version made the bridges of the store's networks and the default one
    if (known.has(b.name)) return 'own';
    return b.name === mark.agent ? 'legacy-default' : 'foreign';
  }
  if (m.agent !== mark.agent) return 'foreign';
  if (m.rootId !== mark.rootId) return 'previous-install';
  return known.has(b.name) ? 'own' : 'unknown';
}

/**
 * Agent start (and `--cleanup`): deletes the bridges a previous installation of this agent
 * left (a wiped root), whose addresses would otherwise push every new network into the next
 * pool; bridges this root marked but no longer knows are reported, and deleted when
 * `removeUnknown`. Returns one line per finding.
 */
export async function reclaimBridges(mark: HostMark, known: Set<string>, opts: { removeUnknown?: boolean } = {}): Promise<string[]> {
  const findings: string[] = [];
  const doomed: string[] = [];
  for (const b of hostBridges()) {
    const verdict = classifyBridge(b, mark, known);
    if (verdict === 'previous-install' || verdict === 'legacy-default') {
      doomed.push(b.name);
      findings.push(`removed bridge ${b.name}: left by a previous installation of this agent (${b.alias || 'unmarked'})`);
    } else if (verdict === 'unknown') {
      if (opts.removeUnknown) doomed.push(b.name);
      findings.push(
        `${opts.removeUnknown ? 'removed' : 'found'} bridge ${b.name}: marked by this agent, but no network of it uses it${opts.removeUnknown ? '' : ' (skiff daemon --cleanup removes it)'}`,
      );
    }
  }
  await ipBatch(
    doomed.map((n) => `link del ${n}`),
    { force: true },
  );
  return findings;
}

/** Refuses a bridge that exists under the wanted name but was made by someone else. */
export function assertBridgeOwned(name: string, mark: HostMark, known: Set<string>): void {
  const b = hostBridges().find((h) => h.name === name);
  if (!b) return;
  const verdict = classifyBridge(b, mark, new Set([...known, name]));
  if (verdict === 'foreign') throw new Conflict(`bridge ${name} already exists and is not this skiff agent's (ifalias "${b.alias}")`);
}

/** `ip link set … alias` line that marks a bridge as this agent's */
export function markLine(name: string, mark: HostMark): string {
  return `link set dev ${name} alias ${formatMark(mark)}`;
}

/**
 * Leaves exactly `keep` (gateway/prefix) as the bridge's IPv4 address: every other one was
 * put there by this agent under an earlier subnet, and its prefix route goes with it.
 */
export async function pruneBridgeAddresses(name: string, keep: string): Promise<string[]> {
  const links = await ipJson<{ addr_info?: { family: string; local: string; prefixlen: number }[] }[]>(['-4', 'addr', 'show', 'dev', name]);
  const stale = (links[0]?.addr_info ?? []).map((a) => `${a.local}/${a.prefixlen}`).filter((a) => a !== keep);
  await ipBatch(
    stale.map((a) => `addr del ${a} dev ${name}`),
    { force: true },
  );
  return stale;
}
