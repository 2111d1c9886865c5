import { ComposeError } from './errors.js';
import { keyedToMap } from './merge.js';
import type { NetworkConfig, VolumeConfig } from './model.js';
import { locOf } from './yaml-source.js';

/** Top-level `networks:`, `volumes:` and the project name, as Compose resolves them */

type Obj = Record<string, unknown>;

function labels(v: unknown): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, x] of Object.entries(keyedToMap(v ?? []))) out[k] = x === null ? '' : String(x);
  return out;
}

/** `external: true` keeps the key as the name; `external: {name: x}` is the old spelling of `name: x` */
function nameAndExternal(key: string, o: Obj, project: string): { name: string; external: boolean } {
  const ext = o.external;
  const external = ext === true || (typeof ext === 'object' && ext !== null);
  const legacyName = typeof ext === 'object' && ext !== null ? (ext as Obj).name : undefined;
  const explicit = typeof o.name === 'string' ? o.name : typeof legacyName === 'string' ? legacyName : undefined;
  return { name: explicit ?? (external ? key : `${project}_${key}`), external };
}

export function normalizeNetworks(raw: unknown, project: string): Record<string, NetworkConfig> {
  const out: Record<string, NetworkConfig> = {};
  for (const [key, value] of Object.entries((raw ?? {}) as Obj)) {
    if (key.startsWith('x-')) continue;
    const o = (value ?? {}) as Obj;
    const net: NetworkConfig = { ...nameAndExternal(key, o, project), internal: o.internal === true, labels: labels(o.labels) };
    if (typeof o.driver === 'string') net.driver = o.driver;
    const ipam = ((o.ipam ?? {}) as Obj).config;
    const first = Array.isArray(ipam) ? (ipam[0] as Obj | undefined) : undefined;
    if (typeof first?.subnet === 'string') net.subnet = first.subnet;
    if (typeof first?.gateway === 'string') net.gateway = first.gateway;
    out[key] = net;
  }
  return out;
}

export function defaultNetwork(project: string): NetworkConfig {
  return { name: `${project}_default`, external: false, internal: false, labels: {} };
}

export function normalizeVolumes(raw: unknown, project: string): Record<string, VolumeConfig> {
  const out: Record<string, VolumeConfig> = {};
  for (const [key, value] of Object.entries((raw ?? {}) as Obj)) {
    if (key.startsWith('x-')) continue;
    const o = (value ?? {}) as Obj;
    const vol: VolumeConfig = { ...nameAndExternal(key, o, project), labels: labels(o.labels) };
    if (typeof o.driver === 'string') vol.driver = o.driver;
    out[key] = vol;
  }
  return out;
}

/** compose-go's NormalizeProjectName */
export function normalizeProjectName(s: string): string {
  return s
    .toLowerCase()
    .replace(/[^-_a-z0-9]+/g, '')
    .replace(/^[-_]+/, '');
}

/**
 * `-p` (or COMPOSE_PROJECT_NAME) must already be a valid name; a `name:` in a file or the
 * directory name is normalised, as Compose does.
 */
export function resolveProjectName(explicit: string | undefined, merged: Obj, dirName: string): string {
  let name: string;
  if (explicit !== undefined && explicit !== '') {
    if (normalizeProjectName(explicit) !== explicit) {
      throw new ComposeError(`invalid project name "${explicit}": use only lowercase letters, digits, "_" and "-", starting with a letter or digit`);
    }
    name = explicit;
  } else {
    const fromFile = typeof merged.name === 'string' ? normalizeProjectName(merged.name) : '';
    name = fromFile || normalizeProjectName(dirName);
  }
  if (!name) {
    throw new ComposeError(
      'project name must not be empty: set name: in the file or pass a project name',
      typeof merged.name === 'string' ? locOf(merged, 'name') : undefined,
      typeof merged.name === 'string' ? 'name' : undefined,
    );
  }
  return name;
}
