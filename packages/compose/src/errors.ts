import { InvalidArgument } from '@skiff/runtime/parse';

/** A place in a Compose file; `file` is the name shown to the user (relative to the project when inside it) */
export interface Loc {
  file: string;
  line: number;
  col: number;
}

/**
 * Every user-caused loader failure. An InvalidArgument so the agent and CLI map it like
 * any other bad request; the message already carries `file:line:col: path: ` so callers
 * can print it as is.
 */
export class ComposeError extends InvalidArgument {
  constructor(
    readonly detail: string,
    readonly loc?: Loc,
    /** dotted path into the file (`services.web.ports[0]`), when the error is about a value */
    readonly path?: string,
  ) {
    super(formatMessage(detail, loc, path));
  }
}

function formatMessage(detail: string, loc: Loc | undefined, path: string | undefined): string {
  const where = loc ? `${loc.file}:${loc.line}:${loc.col}: ` : '';
  return `${where}${path ? `${path}: ` : ''}${detail}`;
}

/** `services.web.ports[0]` from path segments */
export function joinPath(segments: readonly (string | number)[]): string {
  let out = '';
  for (const s of segments) {
    if (typeof s === 'number') out += `[${s}]`;
    else out += out ? `.${s}` : s;
  }
  return out;
}
