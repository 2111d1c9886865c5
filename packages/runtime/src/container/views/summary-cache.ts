import type { ContainerNetworking } from '../../network/network-manager.js';
import type { ContainerSummary } from '../../types.js';
import type { StoredContainer } from '../store/container-store.js';
import { humanDurationBucket } from './human-duration.js';
import { containerSummary, statusSince, statusTextSince } from './inspect.js';

interface Entry {
  /** what the summary was built from that can change without an event (the status text's duration as a humanDurationBucket) */
  tick: number;
  state: string;
  exitCode: number | undefined;
  health: string | undefined;
  name: string;
  net: ContainerNetworking | undefined;
  ports: number;
  networks: number;
  summary: ContainerSummary;
  /** the start/finish time the status text counts from, and its Date.parse (done once) */
  since: string;
  sinceMs: number;
}

interface List {
  entries: Entry[];
  summaries: ContainerSummary[];
}

/** how many different filters' last answers are kept */
const LISTS_KEPT = 8;

/**
 * Summaries of containers that did not change are reused between `ps` calls, and so is a
 * whole answer (the same array) when none of its summaries changed: at 1000 containers,
 * building the summaries was most of a call's time and garbage (see docs/performance.md,
 * Density). An entry is dropped on every event of its container and checked against what
 * can change without one (the status text ticks with time; health, exit code and state show
 * in it). What is handed out is deeply frozen: callers share it, and a transport may cache
 * what it makes of an answer by its identity (the agent keeps its JSON bytes).
 */
export class ContainerSummaryCache {
  private readonly entries = new WeakMap<StoredContainer, Entry>();
  private readonly lists = new Map<string, List>();

  invalidate(c: StoredContainer): void {
    this.entries.delete(c);
  }

  /**
   * Summaries of the containers in `source` that `keep` accepts, in that order; `key` names
   * the filter. When none of them
   * changed, the last answer for `key` comes back without allocating: at 1000 containers a
   * `ps` made ~75 kB of arrays per call for nothing, which set the pace of the agent's GCs.
   */
  list(
    key: string,
    source: readonly StoredContainer[],
    keep: (c: StoredContainer) => boolean,
    networkingOf: (id: string) => ContainerNetworking | undefined,
    now = Date.now(),
  ): ContainerSummary[] {
    const prev = this.lists.get(key);
    const had = prev?.entries ?? [];
    // one pass: entries are collected only from the first one that differs from the last
    // answer's (the ones before it are that answer's own)
    let entries: Entry[] | undefined = prev === undefined ? [] : undefined;
    let n = 0;
    for (let i = 0; i < source.length; i++) {
      const c = source[i]!;
      if (!keep(c)) continue;
      const e = this.entry(c, networkingOf, now);
      if (entries === undefined && had[n] !== e) entries = had.slice(0, n);
      entries?.push(e);
      n++;
    }
    if (entries === undefined) {
      if (n === had.length) return prev!.summaries;
      entries = had.slice(0, n); // fewer kept, the rest unchanged
    }
    const summaries = new Array<ContainerSummary>(entries.length);
    for (let i = 0; i < entries.length; i++) summaries[i] = entries[i]!.summary;
    Object.freeze(summaries);
    this.lists.delete(key);
    this.lists.set(key, { entries, summaries });
    if (this.lists.size > LISTS_KEPT) this.lists.delete(this.lists.keys().next().value!);
    return summaries;
  }

  private entry(c: StoredContainer, networkingOf: (id: string) => ContainerNetworking | undefined, now: number): Entry {
    const s = c.state;
    const since = statusSince(s) ?? '';
    const cached = this.entries.get(c);
    const sinceMs = cached !== undefined && cached.since === since ? cached.sinceMs : Date.parse(since);
    const tick = humanDurationBucket(now - sinceMs);
    const net = networkingOf(c.record.id);
    const ports = net?.ports.length ?? 0;
    const networks = c.record.networks?.length ?? 0;
    const health = s.health?.Status;
    if (
      cached !== undefined &&
      cached.tick === tick &&
      cached.state === s.status &&
      cached.exitCode === s.exitCode &&
      cached.health === health &&
      cached.name === c.record.name &&
      cached.net === net &&
      cached.ports === ports &&
      cached.networks === networks
    ) {
      return cached;
    }
    const summary = deepFreeze(containerSummary(c, net, statusTextSince(c, now, sinceMs)));
    const entry: Entry = { tick, state: s.status, exitCode: s.exitCode, health, name: c.record.name, net, ports, networks, summary, since, sinceMs };
    this.entries.set(c, entry);
    return entry;
  }
}

function deepFreeze<T>(o: T): T {
  if (o && typeof o === 'object' && !Object.isFrozen(o)) {
    Object.freeze(o);
    for (const v of Object.values(o)) deepFreeze(v);
  }
  return o;
}
