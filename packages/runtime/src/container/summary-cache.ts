import type { ContainerNetworking } from '../network/network-manager.js';
import type { ContainerSummary } from '../types.js';
import type { StoredContainer } from './container-store.js';
import { humanDurationBucket } from './human-duration.js';
import { containerSummary, statusSince, statusTextSince } from './inspect.js';

/**
 * The JSON text (UTF-8 bytes) of a list of summaries, attached to the array `list()`
 * returns: a transport that sends JSON (the agent's WebSocket encoder) can send it instead
 * of stringifying the objects again. Bytes rather than a string: a 360 kB string per call
 * lands in V8's large-object space and is promoted by the next scavenge, a Buffer lives
 * outside the heap. The array stays an ordinary (frozen) array for everyone else.
 */
const SUMMARIES_JSON = Symbol.for('skiff.summariesJson');

/** the JSON bytes attached by `ContainerSummaryCache.list`, if `value` is such an array */
export function summariesJsonOf(value: unknown): Buffer | undefined {
  return Array.isArray(value) ? (value as { [SUMMARIES_JSON]?: Buffer })[SUMMARIES_JSON] : undefined;
}

/** `[a,b,…]` from the fragments' bytes, one allocation */
function jsonArray(parts: Buffer[]): Buffer {
  let size = parts.length ? parts.length + 1 : 2;
  for (const p of parts) size += p.length;
  const out = Buffer.allocUnsafe(size);
  let off = 0;
  out[off++] = 0x5b; // [
  for (let i = 0; i < parts.length; i++) {
    if (i) out[off++] = 0x2c; // ,
    off += parts[i]!.copy(out, off);
  }
  out[off] = 0x5d; // ]
  return out;
}

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
  json: Buffer;
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
 * Summaries of containers that did not change are reused between `ps` calls, objects and
 * JSON text alike, and so is a whole answer when none of its summaries changed: at 1000
 * containers, building the summaries and stringifying the 360 kB answer was most of a
 * call's time and garbage (see docs/performance.md, Density). An entry is dropped on every
 * event of its container and checked against what can change without one (the status
 * text ticks with time; health, exit code and state show in it). What is handed out is
 * frozen: callers share it.
 */
export class ContainerSummaryCache {
  private readonly entries = new WeakMap<StoredContainer, Entry>();
  private readonly lists = new Map<string, List>();

  invalidate(c: StoredContainer): void {
    this.entries.delete(c);
  }

  /** summaries of `containers` in that order, with their JSON text attached (see summariesJsonOf); `key` names the filter */
  list(key: string, containers: StoredContainer[], networkingOf: (id: string) => ContainerNetworking | undefined, now = Date.now()): ContainerSummary[] {
    const prev = this.lists.get(key);
    let same = prev !== undefined && prev.entries.length === containers.length;
    const entries: Entry[] = new Array(containers.length);
    for (let i = 0; i < containers.length; i++) {
      const e = this.entry(containers[i]!, networkingOf, now);
      entries[i] = e;
      if (same && prev!.entries[i] !== e) same = false;
    }
    if (same) return prev!.summaries;
    const summaries = entries.map((e) => e.summary);
    Object.defineProperty(summaries, SUMMARIES_JSON, { value: jsonArray(entries.map((e) => e.json)) });
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
    const entry: Entry = { tick, state: s.status, exitCode: s.exitCode, health, name: c.record.name, net, ports, networks, summary, json: Buffer.from(JSON.stringify(summary)), since, sinceMs };
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
