import type { ContainerSummary } from '@skiff/runtime/types';

/**
 * The container list's rows as a pure function of the agent's list and the page's controls
 * (search, state filter, sort, folded groups): no React, so it is unit-tested.
 */
export const PROJECT_LABEL = 'com.docker.compose.project';
export const STATES = ['all', 'running', 'paused', 'exited', 'created'] as const;
export type StateFilter = (typeof STATES)[number];
export const SORT_KEYS = ['name', 'image', 'state', 'created', 'ip'] as const;
export type SortKey = (typeof SORT_KEYS)[number];
export interface Sort {
  key: SortKey;
  desc: boolean;
}

export type Entry =
  | { kind: 'group'; project: string; members: ContainerSummary[]; running: number; folded: boolean }
  | { kind: 'row'; c: ContainerSummary; project?: string };

export const nameOf = (c: ContainerSummary) => c.names[0]?.slice(1) ?? c.id.slice(0, 12);
export const projectOf = (c: ContainerSummary): string | undefined => c.labels[PROJECT_LABEL] || undefined;
export const ipOf = (c: ContainerSummary): string | undefined => c.ipAddresses?.find(Boolean);

/** "created" or "-created" (newest first) in the URL; anything else is the default, name A→Z */
export function parseSort(s: string): Sort {
  const desc = s.startsWith('-');
  const key = (desc ? s.slice(1) : s) as SortKey;
  return SORT_KEYS.includes(key) ? { key, desc } : { key: 'name', desc: false };
}
export const formatSort = (s: Sort) => `${s.desc ? '-' : ''}${s.key}`;

// live ones first, as `docker ps` lists them
const STATE_RANK: Record<string, number> = { running: 0, restarting: 1, paused: 2, created: 3, removing: 4, exited: 5, dead: 6 };

/** IPv4 as a number so 10.0.0.9 sorts before 10.0.0.10; no address sorts last */
function ipRank(c: ContainerSummary): number {
  const ip = ipOf(c);
  if (!ip) return Number.POSITIVE_INFINITY;
  const parts = ip.split('.').map(Number);
  return parts.length === 4 && parts.every((p) => p >= 0 && p < 256) ? parts.reduce((n, p) => n * 256 + p, 0) : Number.MAX_SAFE_INTEGER;
}

function compare(key: SortKey): (a: ContainerSummary, b: ContainerSummary) => number {
  switch (key) {
    case 'name':
      return (a, b) => nameOf(a).localeCompare(nameOf(b), 'en', { numeric: true });
    case 'image':
      return (a, b) => a.image.localeCompare(b.image, 'en', { numeric: true });
    case 'state':
      return (a, b) => (STATE_RANK[a.state] ?? 9) - (STATE_RANK[b.state] ?? 9);
    case 'created':
      return (a, b) => a.created - b.created;
    case 'ip':
      return (a, b) => ipRank(a) - ipRank(b);
  }
}

export function filterContainers(rows: readonly ContainerSummary[], search: string, state: StateFilter): ContainerSummary[] {
  const q = search.trim().toLowerCase();
  return rows.filter(
    (r) =>
      (state === 'all' || r.state === state) &&
      (!q ||
        nameOf(r).toLowerCase().includes(q) ||
        r.image.toLowerCase().includes(q) ||
        r.id.startsWith(q) ||
        (projectOf(r) ?? '').toLowerCase().includes(q) ||
        (ipOf(r) ?? '').startsWith(q) ||
        r.ports.some((p) => `${p.publicPort}`.startsWith(q))),
  );
}

/** sorted by `sort` (ties by name, so the order is stable between refreshes) */
export function sortContainers(rows: readonly ContainerSummary[], sort: Sort): ContainerSummary[] {
  const by = compare(sort.key);
  const byName = compare('name');
  const dir = sort.desc ? -1 : 1;
  return [...rows].sort((a, b) => by(a, b) * dir || byName(a, b));
}

/**
 * Rows with a compose project's containers under one group row, as Docker Desktop shows a
 * stack: the group sits where its first member sorts, its members follow it (unless folded).
 */
export function groupEntries(sorted: readonly ContainerSummary[], folded: ReadonlySet<string>): Entry[] {
  const members = new Map<string, ContainerSummary[]>();
  for (const c of sorted) {
    const p = projectOf(c);
    if (!p) continue;
    const list = members.get(p);
    if (list) list.push(c);
    else members.set(p, [c]);
  }
  const out: Entry[] = [];
  const placed = new Set<string>();
  for (const c of sorted) {
    const p = projectOf(c);
    if (!p) {
      out.push({ kind: 'row', c });
      continue;
    }
    if (placed.has(p)) continue;
    placed.add(p);
    const group = members.get(p)!;
    const isFolded = folded.has(p);
    out.push({ kind: 'group', project: p, members: group, running: group.filter((m) => m.state === 'running').length, folded: isFolded });
    if (!isFolded) for (const m of group) out.push({ kind: 'row', c: m, project: p });
  }
  return out;
}
