import { isAlias, isMap, isNode, isScalar, isSeq, LineCounter, parseDocument, visit, type Document, type Node } from 'yaml';
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

/** a Compose file larger than this is refused before it is parsed (real ones are a few KiB) */
export const MAX_YAML_BYTES = 1024 * 1024;
/** nodes copied out of aliases, all aliases together: a "billion laughs" file stops here */
export const MAX_ALIAS_NODES = 10_000;
/** mappings and sequences nested deeper than this are refused */
export const MAX_YAML_DEPTH = 100;

/** Parse one Compose file; malformed, oversized or alias-bomb YAML is a located ComposeError */
export function parseYaml(text: string, displayName: string): unknown {
  if (Buffer.byteLength(text, 'utf8') > MAX_YAML_BYTES) throw new ComposeError(`the file is larger than ${MAX_YAML_BYTES / 1024} KiB`, { file: displayName, line: 1, col: 1 });
  // the parser recurses once per level of nesting: refuse a deep file before it runs
  const depth = flowOrIndentDepth(text);
  if (depth > MAX_YAML_DEPTH) throw new ComposeError(`YAML nested deeper than ${MAX_YAML_DEPTH} levels`, { file: displayName, line: 1, col: 1 });
  const lineCounter = new LineCounter();
  // YAML 1.1 merge keys (`<<: *anchor`) are common in Compose files; the converter
  // resolves them itself to keep positions, so the parser sees `<<` as a plain key.
  // duplicate keys are found by the converter: yaml's uniqueKeys compares each key with every
  // earlier one (a mapping of 12,500 keys took 2.2 s, of 100,000 keys 225 s)
  const doc = parseDocument(text, { lineCounter, uniqueKeys: false, prettyErrors: false });
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
  const converter = new Converter(anchorTargets(doc), pos);
  return doc.contents ? converter.convert(doc.contents as Node) : null;
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

/**
 * Each alias's target, found in one pass over the document (yaml's Alias.resolve walks the
 * document again for every alias: quadratic, minutes for a 1 MiB file of aliases). An
 * alias names the latest anchor of that name before it.
 */
function anchorTargets(doc: Document): Map<Node, Node> {
  const anchors = new Map<string, Node>();
  const targets = new Map<Node, Node>();
  visit(doc, (_key, node) => {
    if (isAlias(node)) {
      const target = anchors.get(node.source);
      if (target) targets.set(node, target);
    } else if (isNode(node) && node.anchor) anchors.set(node.anchor, node);
  });
  return targets;
}

class Converter {
  private aliasNodes = 0;
  constructor(
    private readonly aliases: Map<Node, Node>,
    private readonly pos: (offset: number) => Loc,
  ) {}

  private locOfNode(n: Node | null | undefined): Loc | undefined {
    return n?.range ? this.pos(n.range[0]) : undefined;
  }

  convert(node: Node | null | undefined, depth = 0, inAlias = false): unknown {
    // aliases are expanded into copies; bound the work so a "billion laughs" file fails fast
    if (inAlias && ++this.aliasNodes > MAX_ALIAS_NODES) throw new ComposeError(`YAML aliases expand to more than ${MAX_ALIAS_NODES} nodes`, this.locOfNode(node));
    if (depth > MAX_YAML_DEPTH * 2) throw new ComposeError('YAML aliases nest too deeply', this.locOfNode(node));
    if (node == null) return null;
    if (isAlias(node)) {
      const target = this.aliases.get(node);
      if (!target) throw new ComposeError(`unknown YAML alias *${node.source}`, this.locOfNode(node));
      return this.convert(target, depth + 1, true);
    }
    if (isScalar(node)) return node.value ?? null;
    if (isSeq(node)) {
      const out: unknown[] = [];
      setLoc(out, undefined, this.locOfNode(node));
      for (const item of node.items) {
        out.push(this.convert(item as Node, depth + 1, inAlias));
        setLoc(out, out.length - 1, this.locOfNode(item as Node));
      }
      return out;
    }
    if (isMap(node)) {
      const out: Record<string, unknown> = {};
      setLoc(out, undefined, this.locOfNode(node));
      const merges: Node[] = [];
      const seen = new Set<string>();
      for (const pair of node.items) {
        const keyNode = pair.key as Node | null;
        if (isScalar(keyNode) && keyNode.value === '<<' && keyNode.type === 'PLAIN') {
          merges.push(pair.value as Node);
          continue;
        }
        const key = isScalar(keyNode) ? String(keyNode.value) : String(this.convert(keyNode, depth + 1, inAlias));
        if (seen.has(key)) throw new ComposeError('invalid YAML: Map keys must be unique', this.locOfNode(keyNode));
        seen.add(key);
        const valueNode = pair.value as Node | null;
        setLoc(out, key, this.locOfNode(valueNode) ?? this.locOfNode(keyNode), this.locOfNode(keyNode));
        // `key: !reset …` removes what earlier files set; `key: !override …` replaces it whole
        const tag = valueNode?.tag === '!reset' ? 'reset' : valueNode?.tag === '!override' ? 'override' : undefined;
        if (tag) (metaOf(out).tags ??= new Map()).set(key, tag);
        if (tag === 'reset') continue;
        defineKey(out, key, this.convert(valueNode, depth + 1, inAlias));
      }
      // merge keys add only what the mapping does not set itself; earlier sources win
      for (const m of merges) {
        const sources = isSeq(m) ? (m.items as Node[]) : [m];
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
