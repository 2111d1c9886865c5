import { readFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { bindMigrationAwareSqlAdapterFactory, type SqlMigrationAwareDriverAdapterFactory } from '@prisma/driver-adapter-utils';
import * as bg from '@prisma/schema-engine-wasm/schema_engine_bg';
import { logFailure, logger } from '@skiff/logger';

const log = logger.child({ component: 'db' });

type SchemaEngine = Awaited<ReturnType<typeof bg.SchemaEngine.new>>;

let loaded: Promise<void> | undefined;
let lastPanic: string | undefined;

/** The message of the last panic inside the wasm engine (its error is a bare RuntimeError). */
export function takePanicMessage(): string | undefined {
  const m = lastPanic;
  lastPanic = undefined;
  return m;
}

/**
 * Loads Prisma's WebAssembly schema engine by hand: the package imports its .wasm as an
 * ES module, which Node 20 cannot do without a flag. This is what lets migrations run
 * without the native schema engine the Prisma CLI would download (docs/database.md).
 */
function loadWasm(): Promise<void> {
  loaded ??= (async () => {
    // where the engine's Rust panic hook leaves its message before the wasm traps
    (globalThis as { PRISMA_WASM_PANIC_REGISTRY?: unknown }).PRISMA_WASM_PANIC_REGISTRY ??= {
      set_message(message: string) {
        lastPanic = message;
      },
    };
    const entry = createRequire(import.meta.url).resolve('@prisma/schema-engine-wasm');
    const url = join(dirname(entry), 'schema_engine_bg.wasm');
    const { instance } = await WebAssembly.instantiate(await readFile(url), { './schema_engine_bg.js': bg as unknown as WebAssembly.ModuleImports });
    (bg as unknown as { __wbg_set_wasm(w: unknown): void }).__wbg_set_wasm(instance.exports);
    (instance.exports as { __wbindgen_start?: () => void }).__wbindgen_start?.();
  })();
  return loaded;
}

/** The engine's version string (the prisma-engines commit it was built from). */
export async function wasmEngineVersion(): Promise<string> {
  await loadWasm();
  return bg.version();
}

export interface OpenedSchemaEngine {
  engine: SchemaEngine;
  /** frees the engine and closes every connection it opened (it does not close them itself) */
  close(): Promise<void>;
}

export interface SchemaFile {
  path: string;
  content: string;
}

type SqlDriverAdapter = Awaited<ReturnType<SqlMigrationAwareDriverAdapterFactory['connect']>>;

/**
 * Works around the engine sending a whole migration script through `executeRaw` when it
 * replays migrations into the shadow database (`migrate dev`, diffs from migrations):
 * better-sqlite3 prepares one statement at a time and refuses. A parameterless
 * multi-statement string is what `executeScript` is for.
 */
function withScriptFallback(conn: SqlDriverAdapter): SqlDriverAdapter {
  const executeRaw: SqlDriverAdapter['executeRaw'] = async (query) => {
    try {
      return await conn.executeRaw(query);
    } catch (e) {
      if (query.args.length > 0 || !/more than one statement/i.test(String((e as Error)?.message))) throw e;
      await conn.executeScript(query.sql);
      return 0;
    }
  };
  return new Proxy(conn, {
    get: (target, prop) => {
      if (prop === 'executeRaw') return executeRaw;
      const value = Reflect.get(target, prop, target);
      return typeof value === 'function' ? value.bind(target) : value;
    },
  });
}

export interface OpenSchemaEngineOptions {
  /** receives the engine's log lines (JSON strings); default: dropped */
  log?: (line: string) => void;
}

export async function openSchemaEngine(
  schemas: SchemaFile | SchemaFile[],
  factory: SqlMigrationAwareDriverAdapterFactory,
  opts: OpenSchemaEngineOptions = {},
): Promise<OpenedSchemaEngine> {
  await loadWasm();
  const opened: SqlDriverAdapter[] = [];
  const track = async (connect: () => Promise<SqlDriverAdapter>) => {
    const c = await connect();
    opened.push(c);
    return withScriptFallback(c);
  };
  const tracked: SqlMigrationAwareDriverAdapterFactory = {
    provider: factory.provider,
    adapterName: factory.adapterName,
    connect: () => track(() => factory.connect()),
    connectToShadowDb: () => track(() => factory.connectToShadowDb()),
  };
  const datamodels = [schemas].flat().map((s) => [s.path, s.content] as [string, string]);
  const engine = await bg.SchemaEngine.new({ datamodels }, opts.log ?? (() => {}), bindMigrationAwareSqlAdapterFactory(tracked));
  return {
    engine,
    async close() {
      engine.free();
      // the engine disposes of a shadow database's connection itself: pg's pool then refuses a
      // second end ("Called end on pool more than once"), which is expected and logged at debug
      const closing = (e: unknown) => (/more than once/.test((e as Error).message) ? 'debug' : 'warn');
      await Promise.all(opened.map((c) => c.dispose().catch((e: unknown) => logFailure(log, closing(e), 'closing a schema engine connection')(e))));
    },
  };
}
