import { ComposeError, type Loc } from './errors.js';
import { parseOffThread } from './yaml-parse-pool.js';
import { plainDocument, type PlainDocument, type PlainNode } from './yaml-plain.mjs';

/**
 * YAML → plain JS values (what the schema, interpolation and merge work on), with the
 * source position of every key and value kept beside them in a WeakMap so that any later
 * stage can report `file:line:col`. Objects produced by merging copy the positions of the
 * entries they take, so a position always points at the file the value came from.
 */

interface Meta {
  self?: Loc;
  keys: Map<string | number, Loc>;
  values: Map<string | number, Loc>;
  /** Compose's merge tags on entries of this mapping: `!reset` (removed here) and `!override` */
  tags?: Map<string, MergeTag>;
}

export type MergeTag = 'reset' | 'override';

const metas = new WeakMap<object, Meta>();

function metaOf(o: object): Meta {
  let m = metas.get(o);
  if (!m) {
    m = { keys: new Map(), values: new Map() };
    metas.set(o, m);
  }
  return m;
}

/** where `container[key]` is written; without a key, where the container itself starts */
export function locOf(container: unknown, key?: string | number): Loc | undefined {
  if (typeof container !== 'object' || container === null) return undefined;
  const m = metas.get(container);
  if (!m) return undefined;
  if (key === undefined) return m.self;
  return m.values.get(key) ?? m.keys.get(key) ?? m.self;
}

/** where the key `key` of a mapping is written (for "unknown key" errors) */
export function keyLocOf(container: unknown, key: string): Loc | undefined {
  if (typeof container !== 'object' || container === null) return undefined;
  const m = metas.get(container);
  return m?.keys.get(key) ?? m?.values.get(key) ?? m?.self;
}

export function setLoc(container: object, key: string | number | undefined, loc: Loc | undefined, keyLoc?: Loc): void {
  if (!loc && !keyLoc) return;
  const m = metaOf(container);
  if (key === undefined) {
    m.self = loc;
    return;
  }
  if (loc) m.values.set(key, loc);
  if (keyLoc) m.keys.set(key, keyLoc);
}

/** the `!reset` / `!override` tag written on `container[key]`, if any */
export function mergeTagOf(container: object, key: string): MergeTag | undefined {
  return metas.get(container)?.tags?.get(key);
}

/** the keys of a mapping that were written with `!reset` (and so are absent from it) */
export function resetKeys(container: object): string[] {
  return [...(metas.get(container)?.tags ?? [])].filter(([, t]) => t === 'reset').map(([k]) => k);
}

/** carry the position of `from[fromKey]` over to `to[toKey]` */
export function copyLoc(from: object, fromKey: string | number, to: object, toKey: string | number): void {
  const m = metas.get(from);
  if (!m) return;
  setLoc(to, toKey, m.values.get(fromKey), m.keys.get(fromKey));
}

export function copySelfLoc(from: object, to: object): void {
  const loc = metas.get(from)?.self;
  if (loc) setLoc(to, undefined, loc);
}

/** a Compose file larger than this is refused before it is parsed (real ones are a few KiB) */
export const MAX_YAML_BYTES = 1024 * 1024;
/** nodes copied out of aliases, all aliases together: a "billion laughs" file stops here */
export const MAX_ALIAS_NODES = 10_000;
/** nodes in all (aliases expanded): interpolation, the schema and normalisation walk each on the event loop */
export const MAX_YAML_NODES = 20_000;
/** mappings and sequences nested deeper than this are refused */
export const MAX_YAML_DEPTH = 100;

/** files up to this size are parsed on the calling thread; larger ones in a worker (yaml-parse-pool.ts) */
const SMALL_YAML_BYTES = 16 * 1024;

/**
 * Parse one Compose file; malformed, oversized or alias-bomb YAML is a located ComposeError.
 * The yaml parser takes ~1-4 ms per KiB: a large file is parsed in a worker thread, so the
 * agent's event loop keeps serving while it runs.
 */
export async function parseYaml(text: string, displayName: string): Promise<unknown> {
  checkShape(text, displayName);
  const doc =
    Buffer.byteLength(text, 'utf8') <= SMALL_YAML_BYTES ? plainDocument(text, MAX_YAML_NODES) : await parseOffThread(text, displayName, MAX_YAML_NODES);
  return convertDocument(doc, text, displayName);
}

function checkShape(text: string, displayName: string): void {
  if (Buffer.byteLength(text, 'utf8') > MAX_YAML_BYTES)
    throw new ComposeError(`the file is larger than ${MAX_YAML_BYTES / 1024} KiB`, { file: displayName, line: 1, col: 1 });
  // the parser recurses once per level of nesting: refuse a deep file before it runs
  if (flowOrIndentDepth(text) > MAX_YAML_DEPTH)
    throw new ComposeError(`YAML nested deeper than ${MAX_YAML_DEPTH} levels`, { file: displayName, line: 1, col: 1 });
}

function convertDocument(doc: PlainDocument, text: string, displayName: string): unknown {
  const starts = lineStarts(text);
  const pos = (offset: number): Loc => {
    // the last line that starts at or before `offset`
    let lo = 0;
    let hi = starts.length - 1;
    while (lo < hi) {
      const mid = (lo + hi + 1) >> 1;
      if (starts[mid]! <= offset) lo = mid;
      else hi = mid - 1;
    }
    return { file: displayName, line: lo + 1, col: offset - starts[lo]! + 1 };
  };
  if (doc.error) throw new ComposeError(`invalid YAML: ${doc.error.message}`, pos(doc.error.offset));
  // YAML 1.1 merge keys (`<<: *anchor`) are common in Compose files; the converter
  // resolves them itself to keep positions, so the parser sees `<<` as a plain key.
  return doc.root ? new Converter(pos).convert(doc.root) : null;
}

function lineStarts(text: string): number[] {
  const starts = [0];
  for (let i = text.indexOf('\n'); i >= 0; i = text.indexOf('\n', i + 1)) starts.push(i + 1);
  return starts;
}

/**
 * The deepest nesting of flow collections (`[`, `{`) plus block indentation, counted over
 * the raw text: an upper bound that is cheap and never smaller than the parser's depth.
 */
function flowOrIndentDepth(text: string): number {
  let flow = 0;
  let max = 0;
  let lineStart = true;
  let indent = 0;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c === 10) {
      lineStart = true;
      indent = 0;
      continue;
    }
    if (lineStart && c === 32) {
      indent++;
      continue;
    }
    if (lineStart && c === 45 && (text.charCodeAt(i + 1) === 32 || text.charCodeAt(i + 1) === 10)) {
      indent += 2; // "- " opens a block level like two spaces of indentation
      i++;
      if (text.charCodeAt(i) === 10) i--;
      continue;
    }
    lineStart = false;
    if (c === 91 || c === 123) flow++;
    else if ((c === 93 || c === 125) && flow > 0) flow--;
    // block levels need at least one column each; two per level is the usual indentation
    const d = flow + Math.ceil(indent / 2);
    if (d > max) max = d;
  }
  return max;
}

class Converter {
  private aliasNodes = 0;
  private nodes = 0;
  constructor(private readonly pos: (offset: number) => Loc) {}

  private locOfNode(n: PlainNode | undefined): Loc | undefined {
    return n?.o !== undefined ? this.pos(n.o) : undefined;
  }

  convert(node: PlainNode | undefined, depth = 0, inAlias = false): unknown {
    // aliases are expanded into copies; bound the work so a "billion laughs" file fails fast
    if (++this.nodes > MAX_YAML_NODES) throw new ComposeError(`the file has more than ${MAX_YAML_NODES} YAML nodes`, this.locOfNode(node));
    if (inAlias && ++this.aliasNodes > MAX_ALIAS_NODES)
      throw new ComposeError(`YAML aliases expand to more than ${MAX_ALIAS_NODES} nodes`, this.locOfNode(node));
    if (depth > MAX_YAML_DEPTH * 2) throw new ComposeError('YAML aliases nest too deeply', this.locOfNode(node));
    if (node == null) return null;
    if (node.k === 'alias') {
      if (!node.to) throw new ComposeError(`unknown YAML alias *${node.source}`, this.locOfNode(node));
      return this.convert(node.to, depth + 1, true);
    }
    if (node.k === 'scalar') return node.v ?? null;
    if (node.k === 'seq') {
      const out: unknown[] = [];
      setLoc(out, undefined, this.locOfNode(node));
      for (const item of node.items) {
        out.push(this.convert(item, depth + 1, inAlias));
        setLoc(out, out.length - 1, this.locOfNode(item));
      }
      return out;
    }
    if (node.k === 'map') {
      const out: Record<string, unknown> = {};
      setLoc(out, undefined, this.locOfNode(node));
      const merges: PlainNode[] = [];
      const seen = new Set<string>();
      for (const [keyNode, valueNode] of node.pairs) {
        if (keyNode?.k === 'scalar' && keyNode.v === '<<' && keyNode.plain) {
          merges.push(valueNode);
          continue;
        }
        const key = keyNode?.k === 'scalar' ? String(keyNode.v) : String(this.convert(keyNode, depth + 1, inAlias));
        if (seen.has(key)) throw new ComposeError('invalid YAML: Map keys must be unique', this.locOfNode(keyNode));
        seen.add(key);
        setLoc(out, key, this.locOfNode(valueNode) ?? this.locOfNode(keyNode), this.locOfNode(keyNode));
        // `key: !reset …` removes what earlier files set; `key: !override …` replaces it whole
        const tag = valueNode?.tag === '!reset' ? 'reset' : valueNode?.tag === '!override' ? 'override' : undefined;
        if (tag) (metaOf(out).tags ??= new Map()).set(key, tag);
        if (tag === 'reset') continue;
        defineKey(out, key, this.convert(valueNode, depth + 1, inAlias));
      }
      // merge keys add only what the mapping does not set itself; earlier sources win
      for (const m of merges) {
        const sources = m?.k === 'seq' ? m.items : [m];
        for (const src of sources) {
          const value = this.convert(src, depth + 1, inAlias);
          if (typeof value !== 'object' || value === null || Array.isArray(value)) {
            throw new ComposeError('merge key << needs a mapping or a list of mappings', this.locOfNode(src));
          }
          for (const [k, v] of Object.entries(value)) {
            if (Object.hasOwn(out, k)) continue;
            defineKey(out, k, v);
            copyLoc(value, k, out, k);
          }
        }
      }
      return out;
    }
    return null;
  }
}

/** `out[key] = value`, also for a key named `__proto__` (an assignment would set the prototype) */
function defineKey(out: Record<string, unknown>, key: string, value: unknown): void {
  if (key === '__proto__') Object.defineProperty(out, key, { value, enumerable: true, writable: true, configurable: true });
  else out[key] = value;
}
