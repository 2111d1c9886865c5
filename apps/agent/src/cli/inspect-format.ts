// `inspect --format`: docker's inspector over the Docker-shaped JSON of each object.
import { withPrefix } from './listing.js';
import { compileTemplate } from './template/index.js';

/**
 * Writes the objects: without a format as an indented JSON array; `json`: the array on one line. Otherwise the
 * template runs over each object as docker's raw fallback does: a map, where a key that is not
 * there fails (docker's missingkey=error).
 */
export function renderInspect(format: string | undefined, objects: unknown[], write: (text: string) => void): void {
  if (!format) {
    write(`${JSON.stringify(objects, null, 4)}\n`);
    return;
  }
  // docker's JSON inspector: the array, on one line
  if (format.trim() === 'json') {
    write(`${JSON.stringify(objects)}\n`);
    return;
  }
  // docker's inspector says "template parsing error" for both; a template that does not
  // parse is a usage error there (exit 64), one that fails on an object exits 1
  const tmpl = withPrefix('template parsing error: ', () => compileTemplate(format, { missingKeyError: true }), 64);
  let out = '';
  try {
    withPrefix('template parsing error: ', () => {
      // run over plain JSON: objects built for the wire may hold undefined fields or dates
      for (const o of objects) out += `${tmpl.execute(JSON.parse(JSON.stringify(o)) as unknown)}\n`;
    });
  } finally {
    // what came before a failure is printed; nothing at all is an empty line, as docker's Flush
    write(out || '\n');
  }
}
