/**
 * A `.catch()` handler for a failure the CLI expects and its user need not see (a resize
 * sent after the session ended): written to stderr only with SKIFF_LOG_LEVEL=debug or
 * trace. The CLI keeps off the agent's JSON logger: its stderr is a person's terminal.
 */
export function debugNote(what: string, write: (line: string) => void = (l) => void process.stderr.write(l)): (e: unknown) => void {
  return (e) => {
    const level = process.env.SKIFF_LOG_LEVEL?.toLowerCase();
    if (level === 'debug' || level === 'trace') write(`skiff: debug: ${what}: ${e instanceof Error ? e.message : String(e)}\n`);
  };
}
