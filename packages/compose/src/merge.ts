import { copyLoc, copySelfLoc, locOf, mergeTagOf, resetKeys, setLoc } from './yaml-source.js';

/**
 * Compose's rules for `-f a.yml -f b.yml` (and for `extends`): mappings are merged key by
 * key with the later file winning on scalars; a few lists are really keyed sets and are
 * merged as such. `!reset` in a later file removes a key, `!override` replaces it whole.
 * Works on the raw (validated) file contents and keeps source positions.
 */

type Obj = Record<string, unknown>;

const isObj = (v: unknown): v is Obj => typeof v === 'object' && v !== null && !Array.isArray(v);

/** lists whose later entries add to the earlier ones (duplicates dropped) */
const UNION = new Set([
  'cap_add',
  'cap_drop',
  'dns',
  'dns_opt',
  'dns_search',
  'expose',
  'external_links',
  'links',
  'profiles',
  'security_opt',
  'tmpfs',
  'volumes_from',
  'group_add',
  'devices',
  'device_cgroup_rules',
  'extra_hosts',
  'ports',
  'secrets',
  'configs',
  'env_file',
]);
/** `KEY=VAL` lists or mappings, merged by key */
const KEYED = new Set(['environment', 'labels', 'sysctls', 'annotations']);
/** lists replaced as a whole by the later file */
const REPLACE = new Set(['command', 'entrypoint']);

export function mergeFiles(roots: Obj[]): Obj {
  let acc: Obj = {};
  for (const r of roots) acc = mergeTop(acc, r);
  return acc;
}

function mergeTop(a: Obj, b: Obj): Obj {
  const out = shallowCopy(a);
  copySelfLoc(b, out);
  for (const k of resetKeys(b)) delete out[k];
  for (const [k, bv] of Object.entries(b)) {
    const av = out[k];
    if (mergeTagOf(b, k)) out[k] = bv;
    else if (k === 'services' && isObj(av) && isObj(bv)) {
      const services = shallowCopy(av);
      for (const name of resetKeys(bv)) delete services[name];
      for (const [name, sv] of Object.entries(bv)) {
        services[name] = isObj(services[name]) && isObj(sv) && !mergeTagOf(bv, name) ? mergeService(services[name] as Obj, sv) : sv;
        copyLoc(bv, name, services, name);
      }
      out[k] = services;
    } else if ((k === 'networks' || k === 'volumes' || k === 'secrets' || k === 'configs') && isObj(av) && isObj(bv)) {
      out[k] = deepMerge(av, bv);
    } else out[k] = bv;
    copyLoc(b, k, out, k);
  }
  return out;
}

export function mergeService(a: Obj, b: Obj): Obj {
  const out = shallowCopy(a);
  copySelfLoc(b, out);
  for (const k of resetKeys(b)) delete out[k];
  for (const [k, bv] of Object.entries(b)) {
    const av = out[k];
    if (av === undefined || av === null || bv === null || REPLACE.has(k) || mergeTagOf(b, k) === 'override') out[k] = bv;
    else if (KEYED.has(k)) out[k] = deepMerge(keyedToMap(av), keyedToMap(bv));
    else if (k === 'extra_hosts') out[k] = union(hostsToList(av), hostsToList(bv));
    else if (UNION.has(k)) out[k] = union(asList(av), asList(bv));
    else if (k === 'depends_on') out[k] = deepMerge(dependsToMap(av), dependsToMap(bv));
    else if (k === 'networks') out[k] = deepMerge(namesToMap(av), namesToMap(bv));
    else if (k === 'volumes' && Array.isArray(av) && Array.isArray(bv)) out[k] = mergeByTarget(av, bv);
    else if (k === 'build') out[k] = mergeBuild(av, bv);
    else if (k === 'healthcheck' && isObj(av) && isObj(bv)) out[k] = deepMerge(av, bv);
    else if (isObj(av) && isObj(bv)) out[k] = deepMerge(av, bv);
    else out[k] = bv;
    copyLoc(b, k, out, k);
  }
  return out;
}

function mergeBuild(a: unknown, b: unknown): unknown {
  const am = typeof a === 'string' ? { context: a } : a;
  const bm = typeof b === 'string' ? { context: b } : b;
  if (!isObj(am) || !isObj(bm)) return b;
  const out = deepMerge(am, bm);
  if (am.args !== undefined && bm.args !== undefined) out.args = deepMerge(keyedToMap(am.args), keyedToMap(bm.args));
  return out;
}

function shallowCopy(a: Obj): Obj {
  const out: Obj = {};
  copySelfLoc(a, out);
  for (const [k, v] of Object.entries(a)) {
    out[k] = v;
    copyLoc(a, k, out, k);
  }
  return out;
}

/** mappings merged recursively, anything else taken from b */
export function deepMerge(a: Obj, b: Obj): Obj {
  const out = shallowCopy(a);
  copySelfLoc(b, out);
  for (const k of resetKeys(b)) delete out[k];
  for (const [k, bv] of Object.entries(b)) {
    const av = out[k];
    out[k] = isObj(av) && isObj(bv) && !mergeTagOf(b, k) ? deepMerge(av, bv) : bv;
    copyLoc(b, k, out, k);
  }
  return out;
}

function asList(v: unknown): unknown[] {
  return Array.isArray(v) ? v : [v];
}

/** extra_hosts mapping (`host: ip` or `host: [ip, ip]`) → Docker's `host:ip` list */
export function hostsToList(v: unknown): unknown[] {
  if (Array.isArray(v)) return v;
  const out: string[] = [];
  copySelfLoc(v as object, out);
  if (!isObj(v)) return out;
  for (const [host, ips] of Object.entries(v)) {
    for (const ip of Array.isArray(ips) ? ips : [ips]) {
      out.push(`${host}:${String(ip ?? '')}`);
      copyLoc(v, host, out, out.length - 1);
    }
  }
  return out;
}

function union(a: unknown[], b: unknown[]): unknown[] {
  const out: unknown[] = [];
  const seen = new Set<string>();
  copySelfLoc(b, out);
  for (const list of [a, b]) {
    list.forEach((v, i) => {
      const key = JSON.stringify(v);
      if (seen.has(key)) return;
      seen.add(key);
      out.push(v);
      copyLoc(list, i, out, out.length - 1);
    });
  }
  return out;
}

/** `["A=1", "B"]` → `{A: "1", B: null}`; mappings as they are */
export function keyedToMap(v: unknown): Obj {
  if (isObj(v)) return v;
  const out: Obj = {};
  copySelfLoc(v as object, out);
  if (!Array.isArray(v)) return out;
  v.forEach((item, i) => {
    const s = String(item);
    const eq = s.indexOf('=');
    const key = eq < 0 ? s : s.slice(0, eq);
    out[key] = eq < 0 ? null : s.slice(eq + 1);
    setLoc(out, key, locOf(v, i), locOf(v, i));
  });
  return out;
}

/** depends_on list → the mapping form it stands for */
export function dependsToMap(v: unknown): Obj {
  if (isObj(v)) return v;
  const out: Obj = {};
  copySelfLoc(v as object, out);
  if (!Array.isArray(v)) return out;
  v.forEach((item, i) => {
    const entry = { condition: 'service_started' };
    setLoc(entry, undefined, locOf(v, i));
    out[String(item)] = entry;
    setLoc(out, String(item), locOf(v, i), locOf(v, i));
  });
  return out;
}

/** service networks list → `{name: null}` */
export function namesToMap(v: unknown): Obj {
  if (isObj(v)) return v;
  const out: Obj = {};
  copySelfLoc(v as object, out);
  if (!Array.isArray(v)) return out;
  v.forEach((item, i) => {
    out[String(item)] = null;
    setLoc(out, String(item), locOf(v, i), locOf(v, i));
  });
  return out;
}

/** a later mount on the same container path replaces the earlier one */
function mergeByTarget(a: unknown[], b: unknown[]): unknown[] {
  const out: unknown[] = [];
  copySelfLoc(b, out);
  const index = new Map<string, number>();
  for (const list of [a, b]) {
    list.forEach((v, i) => {
      const t = volumeTarget(v);
      const at = t === undefined ? undefined : index.get(t);
      if (at !== undefined) {
        out[at] = v;
        copyLoc(list, i, out, at);
      } else {
        out.push(v);
        copyLoc(list, i, out, out.length - 1);
        if (t !== undefined) index.set(t, out.length - 1);
      }
    });
  }
  return out;
}

function volumeTarget(v: unknown): string | undefined {
  if (isObj(v)) return typeof v.target === 'string' ? v.target : undefined;
  if (typeof v !== 'string') return undefined;
  const parts = v.split(':');
  // `src:dst[:mode]` or `dst`; a Windows drive letter in src would add a part, ignored here
  return parts.length === 1 ? parts[0] : parts[1];
}
