import { isMap, isScalar, parseDocument, visit, type Document, type Scalar } from 'yaml';
import { TemplateError } from './errors.js';
import { scanReferences } from './references.js';
import type { Template } from './schema.js';
import type { Resolved } from './values.js';

/**
 * A template's compose body with its parameters filled in. The body is parsed as YAML and
 * only string scalars are rewritten, then the document is printed again: a value becomes
 * a quoted scalar, never YAML text, so no value can add a key, a service or a document.
 * Each `$` of a value is doubled so Compose's own interpolation leaves it literal (a value
 * cannot read another variable), and a secret stays `${NAME}` here: its value reaches
 * Compose only through the stack's sealed .env, so the stored compose file holds none.
 */
export function renderCompose(t: Template, values: Resolved): string {
  const doc = parseBody(t);
  visit(doc, {
    Scalar(key, node) {
      if (key === 'key' || typeof node.value !== 'string') return;
      const parts = scanReferences(node.value);
      if (!parts.some((p) => 'ref' in p)) return;
      const only = parts.length === 1 && 'ref' in parts[0]! ? values.get(parts[0].ref) : undefined;
      // a number, port or boolean standing alone keeps its type (`replicas: ${N}`)
      if (only && !only.secret && typeof only.value !== 'string') {
        setScalar(node, only.value, 'PLAIN');
        return;
      }
      let out = '';
      for (const p of parts) {
        if ('text' in p) out += p.text;
        else {
          const v = values.get(p.ref);
          if (!v) throw new TemplateError(`references \${${p.ref}}, which is not a parameter`, t.id, 'compose');
          out += v.secret ? `\${${p.ref}}` : String(v.value).replaceAll('$', '$$$$');
        }
      }
      setScalar(node, out, 'QUOTE_DOUBLE');
    },
  });
  return doc.toString({ lineWidth: 0, doubleQuotedAsJSON: true });
}

function setScalar(node: Scalar, value: unknown, type: Scalar.Type) {
  node.value = value;
  node.type = type;
  // a tag like `!!int` on the template's scalar must not reinterpret the value
  node.tag = undefined;
}

/** the body as a YAML document with a `services` mapping, or a TemplateError naming the template */
export function parseBody(t: Pick<Template, 'id' | 'compose'>): Document {
  const doc = parseDocument(t.compose, { prettyErrors: true });
  if (doc.errors.length) throw new TemplateError(`not valid YAML: ${doc.errors[0]!.message}`, t.id, 'compose');
  if (!isMap(doc.contents) || !isMap(doc.contents.get('services')))
    throw new TemplateError('a compose body is a mapping with a "services" mapping', t.id, 'compose');
  return doc;
}

/**
 * Checks a template's body without values: YAML, `services`, and that every `${NAME}` in
 * its strings is one of its parameters (a typo is found when the catalogue is added, not
 * at deploy).
 */
export function checkBody(t: Template): void {
  const names = new Set(t.parameters.map((p) => p.name));
  const doc = parseBody(t);
  visit(doc, {
    Scalar(key, node) {
      if (key === 'key' || !isScalar(node) || typeof node.value !== 'string') return;
      let parts: ReturnType<typeof scanReferences>;
      try {
        parts = scanReferences(node.value);
      } catch (e) {
        throw new TemplateError((e as Error).message, t.id, 'compose');
      }
      for (const p of parts) if ('ref' in p && !names.has(p.ref)) throw new TemplateError(`references \${${p.ref}}, which is not a parameter`, t.id, 'compose');
    },
  });
}
