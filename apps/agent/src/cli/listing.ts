// docker's --format for listings: `table …` with a header row, `json`, or any Go template.
import { tabwrite } from './tabwriter.js';
import { compileTemplate, type GoStruct, TemplateError } from './template/index.js';

/** docker's words in front of a template's error: what failed, parsing or executing */
export function withPrefix<T>(prefix: string, fn: () => T, exitCode = 1): T {
  try {
    return fn();
  } catch (e) {
    if (e instanceof TemplateError) throw new TemplateError(prefix + e.message, exitCode);
    throw e;
  }
}

/** One listing's formatter, as docker's (cli/command/formatter): its table, headers and type name. */
export interface ListingKind {
  /** docker's default table (`table {{.ID}}\t…`), what `--format table` means */
  defaultTable: string;
  /** column headers by field, docker's names ("CONTAINER ID") */
  headers: Readonly<Record<string, string>>;
  /** docker's words before a template error: ps has its own, the other listings formatter.Write's */
  errorPrefix?: { parse: string; execute: string };
}

const WRITE_ERRORS = { parse: 'template parsing error: ', execute: 'template parsing error: ' };

/** Docker's pre-processing: `table`/`json` keys, outer spaces trimmed, `\t` and `\n` written as escapes. */
function prepare(format: string, kind: ListingKind): { table: boolean; template: string } {
  let f = format.trim() === 'table' ? kind.defaultTable : format;
  const table = f.startsWith('table');
  if (table) f = f.slice('table'.length);
  else if (f.trim() === 'json') f = '{{json .}}';
  return { table, template: f.trim().replaceAll('\\t', '\t').replaceAll('\\n', '\n') };
}

/** the header row's data: each field's column name; methods (`.Label "k"`) head with theirs */
function headerData(row: GoStruct | undefined, kind: ListingKind): Record<string, unknown> {
  const out: Record<string, unknown> = { ...kind.headers };
  for (const [k, v] of Object.entries(row?.fields ?? {})) if (!(k in out)) out[k] = typeof v === 'function' ? undefined : '';
  return out;
}

/**
 * The listing's text: each row through the template and a newline; a table gets its header
 * and goes through Go's tabwriter as docker's does. Nothing is printed when a row fails.
 */
export function renderListing(format: string, rows: GoStruct[], kind: ListingKind): string {
  const { table, template } = prepare(format, kind);
  const prefix = kind.errorPrefix ?? WRITE_ERRORS;
  const tmpl = withPrefix(prefix.parse, () => compileTemplate(template));
  const body = withPrefix(prefix.execute, () => rows.map((r) => `${tmpl.execute(r)}\n`).join(''));
  if (!table) return body;
  return tabwrite(`${tmpl.executeHeader(headerData(rows[0], kind))}\n${body}`);
}
