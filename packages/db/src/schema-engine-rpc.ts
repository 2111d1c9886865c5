/**
 * A drop-in for Prisma's native `schema-engine` binary, backed by the WebAssembly schema
 * engine and our driver adapters. The Prisma CLI (`migrate deploy|dev|status|diff|reset`,
 * `db push`, `db pull`) spawns the engine and talks newline-delimited JSON-RPC over
 * stdin/stdout; pointing PRISMA_SCHEMA_ENGINE_BINARY at packages/db/bin/schema-engine makes
 * the official CLI work offline, with nothing downloaded (docs/database.md).
 *
 * Arguments, as the CLI passes them: --datamodels <file> (repeatable),
 * --datasource '{"url":"…","shadowDatabaseUrl":"…"}'; others are accepted and ignored.
 */
import { readFileSync } from 'node:fs';
import { isAbsolute, resolve } from 'node:path';
import { createInterface } from 'node:readline';
import { migrationAdapterFor, providerOf } from './adapters.js';
import { NO_FILTERS } from './migrations.js';
import { canConnectToDatabase, createDatabase, DatabaseAdminError } from './database-admin.js';
import { openSchemaEngine, takePanicMessage, wasmEngineVersion, type OpenedSchemaEngine } from './schema-engine.js';

interface RpcRequest {
  id: number | string;
  jsonrpc: '2.0';
  method: string;
  params?: unknown;
}

interface Args {
  datamodels: string[];
  datasource?: { url?: string; shadowDatabaseUrl?: string };
}

function parseArgs(argv: string[]): Args {
  const args: Args = { datamodels: [] };
  for (let i = 0; i < argv.length; i++) {
    if (argv[i] === '--datamodels') args.datamodels.push(argv[++i]!);
    else if (argv[i] === '--datasource') args.datasource = JSON.parse(argv[++i]!);
  }
  return args;
}

/** The native engine takes SQLite paths relative to the schema directory, its cwd. */
function absoluteSqliteUrl(url: string): string {
  if (!url.startsWith('file:')) return url;
  const path = url.slice('file:'.length);
  return isAbsolute(path) || path.startsWith(':memory:') ? url : `file:${resolve(path)}`;
}

/**
 * `schema-engine --datasource … cli <command>`: one-shot commands, exit code 0 on success;
 * on failure the CLI reads an ERROR line from stderr (after the first line) with
 * target schema_engine::logger, fields.error_code and fields.message.
 */
async function runCliCommand(command: string | undefined, url: string | undefined): Promise<void> {
  logLine('INFO', `cli ${command}`);
  try {
    if (!url) throw new DatabaseAdminError('P1001', 'no datasource URL');
    const absolute = absoluteSqliteUrl(url);
    if (command === 'can-connect-to-database') await canConnectToDatabase(absolute);
    else if (command === 'create-database') await createDatabase(absolute);
    else throw new Error(`unsupported schema engine command "cli ${command}"`);
  } catch (e) {
    const err = e as Error;
    process.stderr.write(
      JSON.stringify({ level: 'ERROR', target: 'schema_engine::logger', fields: { message: err.message, error_code: (e as DatabaseAdminError).errorCode } }) +
        '\n',
    );
    process.exitCode = 1;
  }
}

/** JSON-RPC method → wasm method; the names match except getDatabaseVersion. */
const METHODS: Record<string, string> = { getDatabaseVersion: 'version' };

type Engine = OpenedSchemaEngine['engine'];

/** Methods that read the migration history, and so need its table. */
const READS_HISTORY = new Set(['devDiagnostic', 'diagnoseMigrationHistory', 'markMigrationApplied', 'markMigrationRolledBack']);

async function call(e: Engine, method: string, params: unknown): Promise<unknown> {
  const fn = (e as unknown as Record<string, unknown>)[METHODS[method] ?? method];
  if (typeof fn !== 'function') throw new Error(`the WebAssembly schema engine does not implement "${method}"`);
  const run = () => (fn as (p: unknown) => Promise<unknown>).call(e, params);
  try {
    return await run();
  } catch (err) {
    if (/shadow DB must be provided/i.test(String((err as Error)?.message))) {
      if (method === 'evaluateDataLoss') return evaluateDataLossByDiff(e, params);
      if (method === 'createMigration') return createMigrationByDiff(e, params);
    }
    // Through a driver adapter the engine does not recognise "no such table" for its
    // own _prisma_migrations table (P1014) and fails where the native engine sees an
    // empty history. Creating the table (an apply of zero migrations, exactly what
    // `migrate deploy` starts with) and retrying gives the native behaviour.
    if (!READS_HISTORY.has(method) || (err as { code?: string }).code !== 'P1014' || !/_prisma_migrations/.test(String((err as Error).message))) throw err;
    const { migrationsList, filters } = params as { migrationsList: { migrationDirectories: unknown[] }; filters?: unknown };
    try {
      await e.applyMigrations({ migrationsList: { ...migrationsList, migrationDirectories: [] }, filters: filters ?? NO_FILTERS } as never);
    } catch {
      throw err; // e.g. P3005, a non-empty database without history: report the original
    }
    return run();
  }
}

/**
 * `evaluateDataLoss` in the wasm engine does not use the adapter's shadow database and
 * fails ("SQLite shadow DB must be provided through an external factory"). `migrate dev`
 * needs from it whether the schema is ahead of the migrations: a diff from the migrations
 * (replayed in the shadow database, which works) to the schema answers that. What is lost
 * is the data-loss warnings, so the CLI prints a note instead.
 */
async function evaluateDataLossByDiff(e: Engine, params: unknown) {
  const { migrationsList, schema, filters } = params as { migrationsList: object; schema: object; filters: unknown };
  const diff = await e.diff({
    from: { tag: 'migrations', ...migrationsList },
    to: { tag: 'schemaDatamodel', ...schema },
    script: false,
    exitCode: true,
    filters,
  } as never);
  const changed = diff.exitCode === 2;
  if (changed)
    printToCli('note: data-loss warnings are not available from the WebAssembly schema engine; review the generated migration.sql before applying it.');
  return { migrationSteps: changed ? 1 : 0, warnings: [], unexecutableSteps: [] };
}

/**
 * `createMigration` fails the same way; the migration it would write is the diff from
 * the migrations to the schema, named like the native engine names it.
 */
async function createMigrationByDiff(e: Engine, params: unknown) {
  const { migrationsList, schema, filters, draft, migrationName } = params as {
    migrationsList: object;
    schema: { files: { content: string }[] };
    filters: unknown;
    draft: boolean;
    migrationName: string;
  };
  const diff = await e.diff({
    from: { tag: 'migrations', ...migrationsList },
    to: { tag: 'schemaDatamodel', ...schema },
    script: true,
    exitCode: true,
    filters,
  } as never);
  const empty = diff.exitCode !== 2;
  const stamp = new Date().toISOString().replace(/\D/g, '').slice(0, 14);
  const provider = /provider\s*=\s*"(sqlite|postgresql|cockroachdb)"/.exec(schema.files.map((f) => f.content).join('\n'))?.[1] ?? 'sqlite';
  return {
    connectorType: provider,
    generatedMigrationName: `${stamp}_${migrationName}`,
    // like the native engine: no migration when in sync, unless an empty draft is asked for
    migrationScript: empty ? (draft ? '-- This is an empty migration.' : null) : diff.stdout,
    extension: 'sql',
  };
}

let printId = 0;
/** Asks the CLI to print a line on its stdout (the engine's `print` request). */
function printToCli(content: string) {
  process.stdout.write(JSON.stringify({ jsonrpc: '2.0', id: `print-${++printId}`, method: 'print', params: { content } }) + '\n');
}

/** The CLI parses stderr lines as the native engine's tracing JSON. */
function logLine(level: 'INFO' | 'ERROR', message: string) {
  process.stderr.write(JSON.stringify({ timestamp: new Date().toISOString(), level, fields: { message }, target: 'schema_engine_wasm' }) + '\n');
}

function errorPayload(e: unknown) {
  const err = e as { message?: string; code?: string; meta?: unknown };
  const message = err?.message ?? String(e);
  // the wasm engine's known errors carry a Prisma code (P1014, P3005, …); some messages are
  // JSON ({ error_code, message, meta })
  let known: { error_code?: string; message?: string; meta?: unknown } | undefined;
  try {
    const parsed = JSON.parse(message);
    if (parsed && typeof parsed === 'object' && 'message' in parsed) known = parsed;
  } catch {
    known = undefined; // a plain message, not JSON: it is shown as it is
  }
  return {
    code: 4466,
    message: 'An error happened. Check the data field for details.',
    data: {
      is_panic: false,
      message: known?.message ?? message,
      meta: known?.meta ?? null,
      error_code: known?.error_code ?? (typeof err?.code === 'string' && /^P\d{4}$/.test(err.code) ? err.code : null),
    },
  };
}

export async function serveSchemaEngine(argv: string[]): Promise<void> {
  if (argv.includes('--version') || argv.includes('-V')) {
    process.stdout.write(`schema-engine-cli ${await wasmEngineVersion()} (@prisma/schema-engine-wasm via @skiff/db)\n`);
    return;
  }
  const args = parseArgs(argv);
  const url = args.datasource?.url;
  const cli = argv.indexOf('cli');
  if (cli >= 0) return runCliCommand(argv[cli + 1], url);
  const schemas = args.datamodels.map((path) => ({ path, content: readFileSync(path, 'utf8') }));
  // the CLI starts the engine without a schema for some commands (`migrate diff`); the
  // wasm engine needs one, and a bare datasource block is what the native engine assumes
  if (!schemas.length && url) schemas.push({ path: 'schema.prisma', content: `datasource db {\n  provider = "${providerOf(url)}"\n}\n` });

  // one engine per process, like the native binary; opened on the first request so that
  // a bad URL is reported as that request's error instead of a crash
  let opened: Promise<OpenedSchemaEngine> | undefined;
  const engine = () =>
    (opened ??= (() => {
      if (!url) throw new Error('no datasource URL: set datasource.url in prisma.config.ts (DATABASE_URL)');
      return openSchemaEngine(schemas, migrationAdapterFor(absoluteSqliteUrl(url), args.datasource?.shadowDatabaseUrl), {
        log: (line) => process.stderr.write(line + '\n'),
      });
    })());

  const send = (msg: object) => process.stdout.write(JSON.stringify(msg) + '\n');
  let current: RpcRequest | undefined;
  // a Rust panic traps the wasm inside a callback, out of reach of the request's promise:
  // answer like the native engine does (is_panic) and exit 101
  process.on('uncaughtException', (err) => {
    const message = takePanicMessage() ?? err.message;
    logLine('ERROR', `schema engine panic: ${message}`);
    if (current) send({ jsonrpc: '2.0', id: current.id, error: { code: 4466, message, data: { is_panic: true, message, backtrace: err.stack ?? null } } });
    process.exit(101);
  });
  const pending: Promise<void>[] = [];
  const rl = createInterface({ input: process.stdin, crlfDelay: Infinity });
  // requests are handled one at a time, in order: the engine is not re-entrant
  let queue = Promise.resolve();
  rl.on('line', (line) => {
    if (!line.trim()) return;
    let req: RpcRequest;
    try {
      req = JSON.parse(line);
    } catch {
      logLine('ERROR', `unparsable request: ${line.slice(0, 200)}`);
      return;
    }
    if (!('method' in req)) return; // a response to one of our own requests: we send none
    const done = (queue = queue.then(async () => {
      try {
        current = req;
        const { engine: e } = await engine();
        const result = await call(e, req.method, req.params ?? null);
        if (req.method === 'diff') {
          // the native engine prints the diff through a `print` request to the CLI and
          // returns only the exit code; the wasm engine returns the text instead
          const { stdout, ...rest } = result as { stdout: string | null; exitCode: number };
          if (stdout) printToCli(stdout.replace(/\n$/, ''));
          send({ jsonrpc: '2.0', id: req.id, result: rest });
        } else send({ jsonrpc: '2.0', id: req.id, result: result ?? null });
      } catch (err) {
        logLine('ERROR', (err as Error)?.message ?? String(err));
        send({ jsonrpc: '2.0', id: req.id, error: errorPayload(err) });
      }
    }));
    pending.push(done);
  });
  await new Promise<void>((r) => rl.once('close', () => r()));
  await Promise.all(pending);
  if (opened) await (await opened.catch(() => undefined))?.close();
}
