// The rows docker's formatter contexts make (ContainerContext, ImageContext, …), field for field.
import type { ContainerSummary as DockerContainerSummary, Port } from '@skiff/docker-types';
import type { ImageSummary } from '@skiff/runtime';
import { humanDuration } from '@skiff/runtime/parse';
import type { ListingKind } from './listing.js';
import { GoStruct } from './template/index.js';

/** go-units' HumanSizeWithPrecision(size, precision): "1.23MB", "0B" (its HumanSize is precision 4) */
export function goHumanSize(bytes: number, precision: number): string {
  const units = ['B', 'kB', 'MB', 'GB', 'TB', 'PB'];
  let v = bytes;
  let i = 0;
  while (v >= 1000 && i < units.length - 1) {
    v /= 1000;
    i++;
  }
  return `${Number(v.toPrecision(precision))}${units[i]}`;
}

/** go-units' HumanSizeWithPrecision(size, 3), what ps and images print */
export const humanSize3 = (bytes: number): string => goHumanSize(bytes, 3);

/**
 * Go's time.Time.String() of a local time: "2026-12-07 19:40:00 +0000 UTC", with the
 * fraction of a second when there is one ("19:40:00.033"); an RFC 3339 string keeps its digits.
 */
export function goTime(time: number | string): string {
  const d = new Date(time);
  const frac = typeof time === 'string' ? (/\.(\d+)/.exec(time)?.[1] ?? '').replace(/0+$/, '') : '';
  const p = (n: number, w = 2) => String(n).padStart(w, '0');
  const off = -d.getTimezoneOffset();
  const zone = new Intl.DateTimeFormat('en-US', { timeZoneName: 'short' }).formatToParts(d).find((x) => x.type === 'timeZoneName')?.value ?? '';
  const abbr = off === 0 && /^(GMT|UTC)$/.test(zone) ? 'UTC' : zone;
  return `${d.getFullYear()}-${p(d.getMonth() + 1)}-${p(d.getDate())} ${p(d.getHours())}:${p(d.getMinutes())}:${p(d.getSeconds())}${frac ? `.${frac}` : ''} ${off < 0 ? '-' : '+'}${p(Math.floor(Math.abs(off) / 60))}${p(Math.abs(off) % 60)} ${abbr}`;
}

/** docker's Ellipsis: at most `n` characters, the last one "…" when cut */
const ellipsis = (s: string, n: number) => ([...s].length > n ? `${[...s].slice(0, n - 1).join('')}…` : s);
const shortId = (id: string) => id.replace(/^sha256:/, '').slice(0, 12);
const joinLabels = (labels: Record<string, string> | null | undefined) =>
  Object.entries(labels ?? {})
    .map(([k, v]) => `${k}=${v}`)
    .sort()
    .join(',');
const labelOf = (labels: Record<string, string> | null | undefined) => (k: unknown) => labels?.[String(k)] ?? '';

/** docker's DisplayablePorts: sorted, consecutive ports grouped into ranges, remaps last */
export function displayablePorts(ports: Port[]): string {
  const sorted = [...ports].sort(
    (a, b) =>
      a.PrivatePort - b.PrivatePort || (a.IP ?? '').localeCompare(b.IP ?? '') || (a.PublicPort ?? 0) - (b.PublicPort ?? 0) || a.Type.localeCompare(b.Type),
  );
  const groups = new Map<string, { first: number; last: number }>();
  const result: string[] = [];
  const mappings: string[] = [];
  const form = (key: string, g: { first: number; last: number }) => {
    const [a, b] = key.split('/');
    let range = String(g.first);
    if (g.first !== g.last) range += `-${g.last}`;
    if (b !== undefined) range = `${a}:${range}->${range}`;
    return `${range}/${b ?? a}`;
  };
  for (const p of sorted) {
    let key: string = p.Type;
    if (p.IP) {
      if (p.PublicPort !== p.PrivatePort) {
        const host = p.IP.includes(':') ? `[${p.IP}]` : p.IP;
        mappings.push(`${host}:${p.PublicPort}->${p.PrivatePort}/${p.Type}`);
        continue;
      }
      key = `${p.IP}/${p.Type}`;
    }
    const g = groups.get(key);
    if (!g) groups.set(key, { first: p.PrivatePort, last: p.PrivatePort });
    else if (p.PrivatePort === g.last + 1) g.last = p.PrivatePort;
    else {
      result.push(form(key, g));
      groups.set(key, { first: p.PrivatePort, last: p.PrivatePort });
    }
  }
  for (const [key, g] of groups) result.push(form(key, g));
  return [...result, ...mappings].join(', ');
}

export const CONTAINER_KIND: ListingKind = {
  errorPrefix: { parse: 'failed to parse template: ', execute: 'failed to execute template: ' },
  defaultTable: 'table {{.ID}}\\t{{.Image}}\\t{{.Command}}\\t{{.RunningFor}}\\t{{.Status}}\\t{{.Ports}}\\t{{.Names}}',
  headers: {
    ID: 'CONTAINER ID',
    Image: 'IMAGE',
    Command: 'COMMAND',
    CreatedAt: 'CREATED AT',
    RunningFor: 'CREATED',
    Ports: 'PORTS',
    State: 'STATE',
    Status: 'STATUS',
    Size: 'SIZE',
    Names: 'NAMES',
    Labels: 'LABELS',
    Label: 'LABEL',
    Mounts: 'MOUNTS',
    LocalVolumes: 'LOCAL VOLUMES',
    Networks: 'NETWORKS',
  },
};

/** docker's ContainerContext for one `GET /containers/json` entry */
export function containerRow(c: DockerContainerSummary, trunc: boolean, now = Date.now()): GoStruct {
  let image = c.Image || '<no image>';
  if (trunc) {
    if (c.ImageID && shortId(c.ImageID) === shortId(image)) image = shortId(image);
    else image = image.replace(/@sha256:[0-9a-f]+$/, '');
  }
  const names = c.Names.map((n) => n.replace(/^\//, '')).filter((n) => !trunc || !n.includes('/'));
  return new GoStruct('*formatter.ContainerContext', {
    ID: trunc ? shortId(c.Id) : c.Id,
    Names: names.join(','),
    Image: image,
    Command: JSON.stringify(trunc ? ellipsis(c.Command, 20) : c.Command),
    CreatedAt: goTime(c.Created * 1000),
    RunningFor: `${humanDuration(now - c.Created * 1000)} ago`,
    Ports: displayablePorts(c.Ports),
    State: c.State,
    Status: c.Status,
    Size: humanSize3(c.SizeRw ?? 0) + ((c.SizeRootFs ?? 0) > 0 ? ` (virtual ${humanSize3(c.SizeRootFs!)})` : ''),
    Labels: joinLabels(c.Labels),
    Label: labelOf(c.Labels),
    Mounts: (c.Mounts ?? []).map((m) => (trunc ? ellipsis(m.Name || m.Source, 15) : m.Name || m.Source)).join(','),
    LocalVolumes: String((c.Mounts ?? []).filter((m) => m.Driver === 'local').length),
    Networks: Object.keys(c.NetworkSettings?.Networks ?? {})
      .sort()
      .join(','),
    // docker 28 has the image's platform when the API gives it; Skiff's does not
    Platform: null,
  });
}

export const IMAGE_KIND: ListingKind = {
  defaultTable: 'table {{.Repository}}\\t{{.Tag}}\\t{{.ID}}\\t{{.CreatedSince}}\\t{{.Size}}',
  headers: {
    ID: 'IMAGE ID',
    Repository: 'REPOSITORY',
    Tag: 'TAG',
    Digest: 'DIGEST',
    CreatedSince: 'CREATED',
    CreatedAt: 'CREATED AT',
    Size: 'SIZE',
    Containers: 'CONTAINERS',
    VirtualSize: 'VIRTUAL SIZE',
    SharedSize: 'SHARED SIZE',
    UniqueSize: 'UNIQUE SIZE',
  },
};

/** docker's ImageContext rows of one image: one per tag, `<none>` for an untagged one */
export function imageRows(i: ImageSummary, trunc: boolean, now = Date.now()): GoStruct[] {
  const created = Date.parse(i.created);
  const digestOf = (repo: string) => i.repoDigests.find((d) => d.startsWith(`${repo}@`))?.split('@')[1] ?? '<none>';
  const tags: [string, string][] = i.repoTags.map((t) => {
    const at = t.lastIndexOf(':');
    return at > t.lastIndexOf('/') ? [t.slice(0, at), t.slice(at + 1)] : [t, '<none>'];
  });
  if (!tags.length) tags.push(i.repoDigests.length ? [i.repoDigests[0]!.split('@')[0]!, '<none>'] : ['<none>', '<none>']);
  return tags.map(
    ([repo, tag]) =>
      new GoStruct('*formatter.imageContext', {
        ID: trunc ? shortId(i.id) : i.id,
        Repository: repo,
        Tag: tag,
        Digest: repo === '<none>' ? '<none>' : digestOf(repo),
        CreatedSince: `${humanDuration(now - created)} ago`,
        CreatedAt: goTime(created),
        Size: humanSize3(i.size),
        Containers: 'N/A',
        VirtualSize: humanSize3(i.size),
        SharedSize: 'N/A',
        UniqueSize: 'N/A',
      }),
  );
}

export const NETWORK_KIND: ListingKind = {
  defaultTable: 'table {{.ID}}\\t{{.Name}}\\t{{.Driver}}\\t{{.Scope}}',
  headers: {
    ID: 'NETWORK ID',
    Name: 'NAME',
    Driver: 'DRIVER',
    Scope: 'SCOPE',
    IPv4: 'IPV4',
    IPv6: 'IPV6',
    Internal: 'INTERNAL',
    Labels: 'LABELS',
    Label: 'LABEL',
    CreatedAt: 'CREATED AT',
  },
};

export interface NetworkListEntry {
  id: string;
  name: string;
  driver: string;
  internal: boolean;
  labels: Record<string, string>;
  created: string;
}

export function networkRow(n: NetworkListEntry, trunc: boolean): GoStruct {
  return new GoStruct('*formatter.networkContext', {
    ID: trunc ? n.id.slice(0, 12) : n.id,
    Name: n.name,
    Driver: n.driver,
    Scope: 'local',
    IPv4: 'true',
    IPv6: 'false',
    Internal: String(n.internal),
    Labels: joinLabels(n.labels),
    Label: labelOf(n.labels),
    CreatedAt: goTime(n.created),
  });
}

export const VOLUME_KIND: ListingKind = {
  defaultTable: 'table {{.Driver}}\\t{{.Name}}',
  headers: { Name: 'VOLUME NAME', Driver: 'DRIVER', Scope: 'SCOPE', Mountpoint: 'MOUNTPOINT', Labels: 'LABELS', Label: 'LABEL', Links: 'LINKS', Size: 'SIZE' },
};

export function volumeRow(v: { name: string; driver: string; mountpoint: string; labels: Record<string, string> }): GoStruct {
  return new GoStruct('*formatter.volumeContext', {
    Name: v.name,
    Driver: v.driver,
    Scope: 'local',
    Mountpoint: v.mountpoint,
    Labels: joinLabels(v.labels),
    Label: labelOf(v.labels),
    Links: 'N/A',
    Size: 'N/A',
    // cluster volumes' fields, N/A for local ones
    Availability: 'N/A',
    Group: 'N/A',
    Status: 'N/A',
  });
}

/** docker's sortorder.NaturalLess: runs of digits compare as numbers, the rest byte by byte */
export function naturalCompare(a: string, b: string): number {
  const chunks = (s: string) => s.match(/\d+|\D+/g) ?? [];
  const x = chunks(a);
  const y = chunks(b);
  for (let i = 0; i < Math.min(x.length, y.length); i++) {
    const [p, q] = [x[i]!, y[i]!];
    if (p === q) continue;
    if (/^\d/.test(p) && /^\d/.test(q)) return Number(p) - Number(q) || p.length - q.length;
    return p < q ? -1 : 1;
  }
  return x.length - y.length;
}
