// Plain JavaScript (no TypeScript): yaml-parse-worker.mjs runs it in a worker thread under
// plain Node, from the source tree, in the bundled agent too.
import { isAlias, isMap, isScalar, isSeq, parseDocument } from 'yaml';

/**
 * One YAML document as plain objects that survive postMessage: each node with the offset
 * where it starts, its tag, and for an alias the node it names (shared, as structured
 * clone keeps references). An alias names the latest anchor of that name before it, found
 * in the same pass (yaml's Alias.resolve walks the whole document for every alias).
 * More than `maxNodes` nodes is an error here, before a large tree is copied to the caller.
 * @param {string} text
 * @param {number} maxNodes
 * @returns {import('./yaml-plain.d.mts').PlainDocument}
 */
export function plainDocument(text, maxNodes) {
  // duplicate keys are found by the converter: yaml's uniqueKeys compares each key with every
  // earlier one (a mapping of 12,500 keys took 2.2 s, of 100,000 keys 225 s)
  const doc = parseDocument(text, { uniqueKeys: false, prettyErrors: false });
  const first = doc.errors[0];
  if (first) return { error: { message: first.message.split('\n')[0].replace(/ at line \d+, column \d+:?$/, ''), offset: first.pos[0] } };
  const anchors = new Map();
  let nodes = 0;
  /** @type {number | undefined} */
  let tooMany;
  /** @returns {any} */
  const plain = (n) => {
    if (n == null || tooMany !== undefined) return null;
    if (++nodes > maxNodes) {
      tooMany = n.range ? n.range[0] : 0;
      return null;
    }
    const o = n.range ? n.range[0] : undefined;
    if (isAlias(n)) return { k: 'alias', o, source: n.source, to: anchors.get(n.source) };
    /** @type {any} */
    let out;
    if (isScalar(n)) out = { k: 'scalar', o, tag: n.tag, v: n.value ?? null, plain: n.type === 'PLAIN' };
    else if (isSeq(n)) out = { k: 'seq', o, tag: n.tag, items: [] };
    else if (isMap(n)) out = { k: 'map', o, tag: n.tag, pairs: [] };
    else return null;
    // the anchor is defined where its node starts: an alias inside the node names the node
    if (n.anchor) anchors.set(n.anchor, out);
    if (out.k === 'seq') for (const item of n.items) out.items.push(plain(item));
    if (out.k === 'map') for (const pair of n.items) out.pairs.push([plain(pair.key), plain(pair.value)]);
    return out;
  };
  const root = doc.contents ? plain(doc.contents) : null;
  if (tooMany !== undefined) return { error: { message: `the file has more than ${maxNodes} YAML nodes`, offset: tooMany } };
  return { root };
}
