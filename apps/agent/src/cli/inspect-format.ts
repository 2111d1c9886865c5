// `inspect --format`: docker's inspector over the Docker-shaped JSON of each object.
import { compileTemplate } from './template/index.js';

/**
 * No format: the objects as an indented JSON array. `json`: one object a line. Otherwise the
 * template runs over each object as docker's raw fallback does: a map, so a field that is not
 * there prints `<no value>` instead of failing.
 */
export function renderInspect(format: string | undefined, objects: unknown[]): string {
  if (!format) return `${JSON.stringify(objects, null, 4)}\n`;
  const tmpl = compileTemplate(format.trim() === 'json' ? '{{json .}}' : format);
  // run over plain JSON: objects built for the wire may hold undefined fields or dates
  return objects.map((o) => `${tmpl.execute(JSON.parse(JSON.stringify(o)) as unknown)}\n`).join('');
}
