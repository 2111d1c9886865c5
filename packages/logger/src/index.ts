import pino from 'pino';

/**
 * Skiff's one structured logger: pino JSON lines on stderr, one object a line with `time`
 * (ISO 8601), `level` (a label: "warn"), `msg` and the context fields (component, container,
 * network, op, err). stderr is the agent's journal (systemd) or its rotating log file.
 */

export const LEVELS = ['trace', 'debug', 'info', 'warn', 'error', 'fatal', 'silent'] as const;
export type Level = (typeof LEVELS)[number];

/** context a child logger carries into every line; ids are full ids so they can be grepped */
export interface LogContext {
  component?: string;
  container?: string;
  network?: string;
  op?: string;
  [key: string]: unknown;
}

export interface Logger {
  trace(msg: string, fields?: LogContext): void;
  debug(msg: string, fields?: LogContext): void;
  info(msg: string, fields?: LogContext): void;
  warn(msg: string, fields?: LogContext): void;
  error(msg: string, fields?: LogContext): void;
  fatal(msg: string, fields?: LogContext): void;
  child(context: LogContext): Logger;
  isLevelEnabled(level: Level): boolean;
}

export function parseLevel(text: string | undefined): Level | undefined {
  const l = text?.trim().toLowerCase();
  return (LEVELS as readonly string[]).includes(l ?? '') ? (l as Level) : undefined;
}

/** an error as its message and code: a stack a line long would bury the journal */
function serializeError(e: unknown): unknown {
  if (!(e instanceof Error)) return String(e);
  const code = (e as NodeJS.ErrnoException).code;
  return code ? { message: e.message, code } : { message: e.message };
}

const root = pino(
  {
    level: parseLevel(process.env.SKIFF_LOG_LEVEL) ?? 'info',
    base: { pid: process.pid },
    timestamp: pino.stdTimeFunctions.isoTime,
    formatters: { level: (label) => ({ level: label }) },
    serializers: { err: serializeError },
  },
  // process.stderr.write looked up per line, not an fd: the agent's log file replaces it
  // (apps/agent/src/daemon/log-file.ts) after modules have made their loggers
  { write: (line: string) => void process.stderr.write(line) },
);

/**
 * A thin logger over the one pino root. Bindings are merged here rather than with pino's
 * child(): pino children copy the level when they are made, and loggers are made at import
 * time, before `--log-level` is parsed.
 */
class BoundLogger implements Logger {
  constructor(private readonly bindings: LogContext) {}
  private at(level: Exclude<Level, 'silent'>, msg: string, fields?: LogContext): void {
    if (!root.isLevelEnabled(level)) return;
    root[level]({ ...this.bindings, ...fields }, msg);
  }
  trace(msg: string, fields?: LogContext): void {
    this.at('trace', msg, fields);
  }
  debug(msg: string, fields?: LogContext): void {
    this.at('debug', msg, fields);
  }
  info(msg: string, fields?: LogContext): void {
    this.at('info', msg, fields);
  }
  warn(msg: string, fields?: LogContext): void {
    this.at('warn', msg, fields);
  }
  error(msg: string, fields?: LogContext): void {
    this.at('error', msg, fields);
  }
  fatal(msg: string, fields?: LogContext): void {
    this.at('fatal', msg, fields);
  }
  child(context: LogContext): Logger {
    return new BoundLogger({ ...this.bindings, ...context });
  }
  isLevelEnabled(level: Level): boolean {
    return root.isLevelEnabled(level);
  }
}

/** the root logger; make a child per component: `logger.child({ component: 'network' })` */
export const logger: Logger = new BoundLogger({});

export function setLogLevel(level: Level): void {
  root.level = level;
}

export function getLogLevel(): Level {
  return root.level as Level;
}

/** a file or directory that is not there: the usual, benign end of a best-effort cleanup */
export function isNotFound(e: unknown): boolean {
  return (e as NodeJS.ErrnoException | undefined)?.code === 'ENOENT';
}

/**
 * A `.catch()` handler for best-effort cleanup, as containerd does it: the failure is logged
 * with its context and the caller goes on. Something already gone (ENOENT) is expected and
 * only logged at debug; anything else (EBUSY, EACCES, a failed `ip` call) is a warning.
 */
export function cleanupFailed(log: Logger, msg: string, fields?: LogContext): (e: unknown) => void {
  return (err) => (isNotFound(err) ? log.debug(msg, { ...fields, err }) : log.warn(msg, { ...fields, err }));
}

/** a `.catch()` handler that logs at `level` (debug for a failure the comment beside it expects) */
export function logFailure(log: Logger, level: Exclude<Level, 'silent'>, msg: string, fields?: LogContext): (e: unknown) => void {
  return (err) => log[level](msg, { ...fields, err });
}
