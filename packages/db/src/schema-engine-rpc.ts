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
import { adapterFor } from './adapters.js';
import { openSchemaEngine, type OpenedSchemaEngine } from './schema-engine.js';

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

/** JSON-RPC method → wasm method; the names match except getDatabaseVersion. */
const METHODS: Record<string, string> = { getDatabaseVersion: 'version' };

/** The CLI parses stderr lines as the native engine's tracing JSON. */
function logLine(level: 'INFO' | 'ERROR', message: string) {
  process.stderr.write(JSON.stringify({ timestamp: new Date().toISOString(), level, fields: { message }, target: 'schema_engine_wasm' }) + '\n');
}

function errorPayload(e: unknown) {
  const err = e as { message?: string; code?: string; meta?: unknown };
  const message = err?.message ?? String(e);
  // the wasm engine throws user-facing errors whose message is JSON ({ error_code, message, meta })
  let known: { error_code?: string; message?: string; meta?: unknown } | undefined;
  try {
    const parsed = JSON.parse(message);
    if (parsed && typeof parsed === 'object' && 'message' in parsed) known = parsed;
  } catch {
    /* a plain message */
  }
  return {
    code: 4466,
    message: 'An error happened. Check the data field for details.',
    data: { is_panic: false, message: known?.message ?? message, meta: known?.meta ?? null, error_code: known?.error_code ?? null },
  };
}

export async function serveSchemaEngine(argv: string[]): Promise<void> {
  if (argv.includes('--version') || argv.includes('-V')) {
    const { version } = await import('@prisma/schema-engine-wasm/schema_engine_bg');
    let v = 'wasm';
    try {
      v = version().commit;
    } catch {
      /* the wasm module is loaded lazily by openSchemaEngine; the commit is cosmetic */
    }
    process.stdout.write(`schema-engine-cli ${v} (@prisma/schema-engine-wasm via @skiff/db)\n`);
    return;
  }
  const args = parseArgs(argv);
  const url = args.datasource?.url;
  const schemas = args.datamodels.map((path) => ({ path, content: readFileSync(path, 'utf8') }));

  // one engine per process, like the native binary; opened on the first request so that
  // a bad URL is reported as that request's error instead of a crash
  let opened: Promise<OpenedSchemaEngine> | undefined;
  const engine = () =>
    (opened ??= (() => {
      if (!url) throw new Error('no datasource URL: set datasource.url in prisma.config.ts (DATABASE_URL)');
      return openSchemaEngine(schemas, adapterFor(absoluteSqliteUrl(url), args.datasource?.shadowDatabaseUrl));
    })());

  const send = (msg: object) => process.stdout.write(JSON.stringify(msg) + '\n');
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
        const { engine: e } = await engine();
        const name = METHODS[req.method] ?? req.method;
        const fn = (e as unknown as Record<string, unknown>)[name];
        if (typeof fn !== 'function') throw new Error(`the WebAssembly schema engine does not implement "${req.method}"`);
        const result = await (fn as (p: unknown) => Promise<unknown>).call(e, req.params ?? null);
        send({ jsonrpc: '2.0', id: req.id, result: result ?? null });
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
