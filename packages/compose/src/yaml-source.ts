import { isAlias, isMap, isScalar, isSeq, LineCounter, parseDocument, type Document, type Node } from 'yaml';
import { ComposeError, type Loc } from './errors.js';

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

/** Parse one Compose file; malformed YAML is a located ComposeError */
export function parseYaml(text: string, displayName: string): unknown {
  const lineCounter = new LineCounter();
  // YAML 1.1 merge keys (`<<: *anchor`) are common in Compose files; the converter
  // resolves them itself to keep positions, so the parser sees `<<` as a plain key.
  const doc = parseDocument(text, { lineCounter, uniqueKeys: true, prettyErrors: false });
  const pos = (offset: number): Loc => {
    const { line, col } = lineCounter.linePos(offset);
    return { file: displayName, line, col };
  };
  const first = doc.errors[0];
  if (first) {
    const loc = pos(first.pos[0]);
    const message = first.message.split('\n')[0]!.replace(/ at line \d+, column \d+:?$/, '');
    throw new ComposeError(`invalid YAML: ${message}`, loc);
  }
  const converter = new Converter(doc, pos);
  return doc.contents ? converter.convert(doc.contents as Node) : null;
}

class Converter {
  private count = 0;
  constructor(
    private readonly doc: Document,
    private readonly pos: (offset: number) => Loc,
  ) {}

  private locOfNode(n: Node | null | undefined): Loc | undefined {
    return n?.range ? this.pos(n.range[0]) : undefined;
  }

  convert(node: Node | null | undefined, depth = 0): unknown {
    // aliases are expanded into copies; bound the work so a "billion laughs" file fails fast
    if (++this.count > 1_000_000 || depth > 200) throw new ComposeError('YAML document too large or too deeply nested (aliases?)', this.locOfNode(node));
    if (node == null) return null;
    if (isAlias(node)) {
      const target = node.resolve(this.doc);
      if (!target) throw new ComposeError(`unknown YAML alias *${node.source}`, this.locOfNode(node));
      return this.convert(target as Node, depth + 1);
    }
    if (isScalar(node)) return node.value ?? null;
    if (isSeq(node)) {
      const out: unknown[] = [];
      setLoc(out, undefined, this.locOfNode(node));
      for (const item of node.items) {
        out.push(this.convert(item as Node, depth + 1));
        setLoc(out, out.length - 1, this.locOfNode(item as Node));
      }
      return out;
    }
    if (isMap(node)) {
      const out: Record<string, unknown> = {};
      setLoc(out, undefined, this.locOfNode(node));
      const merges: Node[] = [];
      for (const pair of node.items) {
        const keyNode = pair.key as Node | null;
        if (isScalar(keyNode) && keyNode.value === '<<' && keyNode.type === 'PLAIN') {
          merges.push(pair.value as Node);
          continue;
        }
        const key = isScalar(keyNode) ? String(keyNode.value) : String(this.convert(keyNode, depth + 1));
        const valueNode = pair.value as Node | null;
        setLoc(out, key, this.locOfNode(valueNode) ?? this.locOfNode(keyNode), this.locOfNode(keyNode));
        // `key: !reset …` removes what earlier files set; `key: !override …` replaces it whole
        const tag = valueNode?.tag === '!reset' ? 'reset' : valueNode?.tag === '!override' ? 'override' : undefined;
        if (tag) (metaOf(out).tags ??= new Map()).set(key, tag);
        if (tag === 'reset') continue;
        out[key] = this.convert(valueNode, depth + 1);
      }
      // merge keys add only what the mapping does not set itself; earlier sources win
      for (const m of merges) {
        const sources = isSeq(m) ? (m.items as Node[]) : [m];
        for (const src of sources) {
          const value = this.convert(src, depth + 1);
          if (typeof value !== 'object' || value === null || Array.isArray(value)) {
            throw new ComposeError('merge key << needs a mapping or a list of mappings', this.locOfNode(src));
          }
          for (const [k, v] of Object.entries(value)) {
            if (k in out) continue;
            out[k] = v;
            copyLoc(value, k, out, k);
          }
        }
      }
      return out;
    }
    return null;
  }
}
