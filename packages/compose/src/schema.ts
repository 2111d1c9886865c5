import { readFileSync } from 'node:fs';
import { Ajv, type ErrorObject, type ValidateFunction } from 'ajv';
import { ComposeError, joinPath } from './errors.js';
import { parseDuration } from './duration.js';
import { parsePortSpec } from './ports.js';
import { keyLocOf, locOf } from './yaml-source.js';

/**
 * Validation of one parsed (and interpolated) file against the Compose Specification's
 * JSON schema, vendored unchanged in ../schema. The first, most specific ajv error is
 * turned into a located ComposeError.
 */

// biome-ignore lint/suspicious/noExplicitAny: the vendored JSON Schema is patched by key paths below; ajv checks its shape
type Json = Record<string, any>;

function loadSchema(): Json {
  const schema = JSON.parse(readFileSync(new URL('../schema/compose-spec.json', import.meta.url), 'utf8')) as Json;
  stripIds(schema);
  delete schema.$schema;
  addNewerKeys(schema);
  return schema;
}

/** draft-04 style `id`s in the snapshot would be taken by ajv as base URIs and break `$ref`s */
function stripIds(node: unknown): void {
  if (Array.isArray(node)) node.forEach(stripIds);
  else if (node && typeof node === 'object') {
    const o = node as Json;
    if (typeof o.id === 'string' && (o.id.includes('#') || o.id.endsWith('.json'))) delete o.id;
    Object.values(o).forEach(stripIds);
  }
}

/** keys the current specification has that the vendored snapshot predates */
function addNewerKeys(s: Json): void {
  const d = s.definitions;
  const svc = d.service.properties;
  s.properties.name = { type: 'string' };
  const dependsOnEntry = svc.depends_on.oneOf[1].patternProperties['^[a-zA-Z0-9._-]+$'];
  dependsOnEntry.properties.required = { type: 'boolean' };
  dependsOnEntry.properties.restart = { type: 'boolean' };
  svc.env_file = {
    oneOf: [
      { type: 'string' },
      {
        type: 'array',
        items: {
          oneOf: [
            { type: 'string' },
            {
              type: 'object',
              properties: { path: { type: 'string' }, required: { type: 'boolean' }, format: { type: 'string' } },
              required: ['path'],
              additionalProperties: false,
            },
          ],
        },
      },
    ],
  };
  d.healthcheck.properties.start_interval = { type: 'string', format: 'duration' };
  const longPort = svc.ports.items.oneOf[2];
  longPort.properties.published = { type: ['string', 'integer'], format: 'published_port' };
  longPort.properties.name = { type: 'string' };
  longPort.properties.app_protocol = { type: 'string' };
  d.deployment.properties.resources.properties.limits.properties.memory = { type: ['string', 'integer'] };
  d.deployment.properties.resources.properties.reservations.properties.memory = { type: ['string', 'integer'] };
}

let validator: ValidateFunction | undefined;

function getValidator(): ValidateFunction {
  if (validator) return validator;
  const ajv = new Ajv({ allErrors: true, strict: false, allowUnionTypes: true, verbose: true });
  ajv.addFormat('ports', { type: 'string', validate: (v: string) => typeof parsePortSpec(v) !== 'string' });
  ajv.addFormat('published_port', { type: 'string', validate: (v: string) => /^\d+(-\d+)?$/.test(v) });
  ajv.addFormat('expose', { type: 'string', validate: (v: string) => /^\d+(-\d+)?(\/(tcp|udp|sctp))?$/.test(v) });
  ajv.addFormat('duration', { type: 'string', validate: (v: string) => parseDuration(v) !== undefined });
  ajv.addFormat('subnet_ip_address', { type: 'string', validate: (v: string) => /^[0-9a-fA-F.:]+\/\d{1,3}$/.test(v) });
  validator = ajv.compile(loadSchema());
  return validator;
}

const FORMAT_NAMES: Record<string, string> = {
  ports: 'port',
  published_port: 'published port',
  expose: 'exposed port',
  duration: 'duration (like 1m30s, 500ms)',
  subnet_ip_address: 'subnet (CIDR)',
};

/** how telling an error of each kind is, when several branches of a `oneOf` failed */
const RANK: Record<string, number> = { additionalProperties: 6, format: 5, enum: 4, required: 3, minimum: 2, maximum: 2, pattern: 2, uniqueItems: 2, type: 1 };

export function validateSchema(root: unknown, file: string): void {
  const validate = getValidator();
  if (validate(root)) return;
  throw toComposeError(validate.errors ?? [], root, file);
}

function segmentsOf(instancePath: string, root: unknown): (string | number)[] {
  if (!instancePath) return [];
  const out: (string | number)[] = [];
  let cur: unknown = root;
  for (const raw of instancePath.slice(1).split('/')) {
    const seg = raw.replace(/~1/g, '/').replace(/~0/g, '~');
    const s = Array.isArray(cur) ? Number(seg) : seg;
    out.push(s);
    cur = (cur as Json | undefined)?.[s];
  }
  return out;
}

function valueAt(root: unknown, segs: (string | number)[]): { parent: unknown; key?: string | number; value: unknown } {
  let parent: unknown;
  let value: unknown = root;
  let key: string | number | undefined;
  for (const s of segs) {
    parent = value;
    key = s;
    value = (value as Json)?.[s];
  }
  return { parent, key, value };
}

export function toComposeError(errors: ErrorObject[], root: unknown, file: string): ComposeError {
  const depth = (e: ErrorObject) => (e.instancePath ? e.instancePath.split('/').length : 0) + (e.keyword === 'additionalProperties' ? 1 : 0);
  const best =
    [...errors]
      .filter((e) => e.keyword !== 'oneOf' && e.keyword !== 'anyOf' && e.keyword !== 'if')
      .sort((a, b) => depth(b) - depth(a) || (RANK[b.keyword] ?? 0) - (RANK[a.keyword] ?? 0))[0] ?? errors[0]!;
  const segs = segmentsOf(best.instancePath, root);
  const { parent, key, value } = valueAt(root, segs);
  const path = joinPath(segs);
  const loc = (key !== undefined ? locOf(parent, key) : locOf(root)) ?? { file, line: 1, col: 1 };
  switch (best.keyword) {
    case 'additionalProperties': {
      const name = (best.params as { additionalProperty: string }).additionalProperty;
      const keyLoc = keyLocOf(value, name) ?? loc;
      const known = Object.keys((best.parentSchema as Json | undefined)?.properties ?? {});
      if (known.length === 0) {
        // a mapping of user-chosen names (services, volumes, networks…)
        return new ComposeError(`invalid name "${name}": use only letters, digits, ".", "_" and "-"`, keyLoc, path || undefined);
      }
      const hint = closest(name, known);
      return new ComposeError(`unknown key "${name}"${hint ? ` (did you mean "${hint}"?)` : ''}; extensions must start with "x-"`, keyLoc, path || undefined);
    }
    case 'format': {
      const fmt = (best.params as { format: string }).format;
      if (fmt === 'ports' && typeof value === 'string') {
        const r = parsePortSpec(value);
        if (typeof r === 'string') return new ComposeError(r, loc, path);
      }
      return new ComposeError(`invalid ${FORMAT_NAMES[fmt] ?? fmt} ${JSON.stringify(value)}`, loc, path);
    }
    case 'enum':
      return new ComposeError(
        `must be one of ${((best.params as { allowedValues: unknown[] }).allowedValues).join(', ')}, not ${JSON.stringify(value)}`,
        loc,
        path,
      );
    case 'required':
      return new ComposeError(`missing required key "${(best.params as { missingProperty: string }).missingProperty}"`, loc, path);
    case 'type': {
      // several branches may accept different types here: name them all
      const types = new Set<string>();
      for (const e of errors) {
        if (e.keyword === 'type' && e.instancePath === best.instancePath) {
          const t = (e.params as { type: string | string[] }).type;
          for (const x of Array.isArray(t) ? t : String(t).split(',')) types.add(x === 'array' ? 'list' : x === 'object' ? 'mapping' : x);
        }
      }
      const got = value === null ? 'null' : Array.isArray(value) ? 'list' : typeof value === 'object' ? 'mapping' : typeof value;
      const list = [...types];
      const expected = list.length > 1 ? `${list.slice(0, -1).join(', ')} or ${list[list.length - 1]}` : list[0];
      return new ComposeError(
        `must be ${expected}, not ${got}${typeof value === 'string' || typeof value === 'number' ? ` ${JSON.stringify(value)}` : ''}`,
        loc,
        path,
      );
    }
    case 'uniqueItems': {
      // ajv gives the indexes of the two equal items: point at the later one
      const { i, j } = best.params as { i: number; j: number };
      const dup = Math.max(i, j);
      const item = (value as unknown[])[dup];
      return new ComposeError(`${JSON.stringify(item)} is listed twice`, locOf(value, dup) ?? loc, `${path}[${dup}]`);
    }
    default:
      return new ComposeError(best.message ?? 'invalid value', loc, path);
  }
}

function closest(name: string, candidates: string[]): string | undefined {
  let best: string | undefined;
  let bestD = Math.max(2, Math.floor(name.length / 3)) + 1;
  for (const c of candidates) {
    const d = distance(name, c);
    if (d < bestD) {
      bestD = d;
      best = c;
    }
  }
  return best;
}

function distance(a: string, b: string): number {
  const prev = Array.from({ length: b.length + 1 }, (_, i) => i);
  for (let i = 1; i <= a.length; i++) {
    let diag = prev[0]!;
    prev[0] = i;
    for (let j = 1; j <= b.length; j++) {
      const tmp = prev[j]!;
      prev[j] = Math.min(prev[j]! + 1, prev[j - 1]! + 1, diag + (a[i - 1] === b[j - 1] ? 0 : 1));
      diag = tmp;
    }
  }
  return prev[b.length]!;
}
