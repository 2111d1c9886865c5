// Go templates as docker's --format takes them: parse once, run per row.
import { Exec } from './exec.js';
import { FUNCS, HEADER_FUNCS } from './funcs.js';
import { parse, type Node } from './parser.js';
import { TemplateError } from './errors.js';

export { TemplateError };
export { toJson } from './funcs.js';
export { GoStruct } from './values.js';

export interface Template {
  /** the template's output for `data`; throws TemplateError when it does not execute */
  execute(data: unknown): string;
  /** the header row of a table: the same template with docker's header functions */
  executeHeader(data: unknown): string;
}

const FUNC_NAMES: ReadonlySet<string> = new Set(Object.keys(FUNCS));

export interface TemplateOptions {
  /** Go's `missingkey=error` (docker's inspect): a map key that is not there fails instead of printing `<no value>` */
  missingKeyError?: boolean;
}

export function compileTemplate(src: string, opts: TemplateOptions = {}): Template {
  const tree: Node[] = parse(src, FUNC_NAMES);
  return {
    execute: (data) => new Exec(src, FUNCS, opts.missingKeyError).run(tree, data),
    executeHeader: (data) => {
      const exec = new Exec(src, HEADER_FUNCS);
      try {
        return exec.run(tree, data);
      } catch (e) {
        // docker ignores the header's error and prints what came before it
        if (e instanceof TemplateError) return exec.written;
        throw e;
      }
    },
  };
}
