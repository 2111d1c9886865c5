import { parse } from 'yaml';
import type { z } from 'zod';
import { TemplateError } from './errors.js';
import { fromPortainer, isPortainer } from './portainer.js';
import { checkBody } from './render.js';
import { catalogueSchema, templateSchema, type Catalogue, type Template } from './schema.js';
import { coerce } from './values.js';

export interface ParsedCatalogue {
  catalogue: Catalogue;
  /** things left out on the way in (Portainer templates Skiff cannot deploy) */
  warnings: string[];
}

/**
 * A catalogue document (YAML or JSON; Skiff's format or Portainer's app-template v2/v3)
 * checked in full: every template's fields, parameter defaults and compose references.
 * The first problem is thrown as a TemplateError naming the template and the field.
 */
export function parseCatalogue(text: string): ParsedCatalogue {
  let doc: unknown;
  try {
    doc = parse(text, { maxAliasCount: 100, uniqueKeys: true });
  } catch (e) {
    throw new TemplateError(`the catalogue is not valid YAML or JSON: ${(e as Error).message}`);
  }
  const warnings: string[] = [];
  if (isPortainer(doc)) doc = fromPortainer(doc, warnings);
  const top = catalogueSchema.safeParse(doc);
  if (!top.success) throw fromZod(top.error);
  const seen = new Set<string>();
  const templates = top.data.templates.map((raw, i) => {
    const t = checkTemplate(raw, i);
    if (seen.has(t.id)) throw new TemplateError('a template id appears twice in the catalogue', t.id, 'id');
    seen.add(t.id);
    return t;
  });
  return { catalogue: { version: 1, name: top.data.name, description: top.data.description, templates }, warnings };
}

/** one template: schema, defaults of the parameters' own types, compose references */
export function checkTemplate(raw: unknown, index = 0): Template {
  const r = templateSchema.safeParse(raw);
  const id = typeof (raw as { id?: unknown })?.id === 'string' ? (raw as { id: string }).id : `#${index + 1}`;
  if (!r.success) throw fromZod(r.error, id);
  const t = r.data;
  t.parameters.forEach((p, i) => {
    if (p.default !== undefined && p.default !== '') coerce(t, p, p.default, `parameters[${i}].default`);
  });
  checkBody(t);
  return t;
}

function fromZod(error: z.ZodError, id?: string): TemplateError {
  const issue = error.issues[0]!;
  const field = issue.path.map((s, i) => (typeof s === 'number' ? `[${s}]` : i === 0 ? String(s) : `.${String(s)}`)).join('');
  return new TemplateError(issue.message, id, field || undefined);
}
