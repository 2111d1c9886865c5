/** Log reading options and the shapes log lines come out in. */

export interface LogsOptions {
  follow?: boolean;
  tail?: number; // lines from the end; undefined = all
  since?: number; // unix seconds (fractional allowed)
  until?: number;
  timestamps?: boolean;
  stdout?: boolean;
  stderr?: boolean;
}

export interface LogEntry {
  stream: 'stdout' | 'stderr';
  time: string; // RFC3339Nano
  line: string; // includes the trailing newline when the program wrote one
}

/** how a log goes out as bytes (logStream) */
export interface LogStreamOptions {
  /** each line's time in front, as `docker logs -t` prints it */
  timestamps?: boolean;
  /** no 8-byte frame headers: the bytes as a TTY container wrote them */
  raw?: boolean;
}

/**
 * Consecutive log lines of one stream with one timestamp (the shim stamps everything it
 * read from the container at once with one time): `text` is the lines as written. Only
 * the last line of a chunk may lack its newline, so the entries can always be recovered.
 */
export interface LogChunk {
  stream: 'stdout' | 'stderr';
  time: string;
  text: string;
}
