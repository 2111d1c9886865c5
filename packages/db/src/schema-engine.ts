import { readFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { bindMigrationAwareSqlAdapterFactory, type SqlMigrationAwareDriverAdapterFactory } from '@prisma/driver-adapter-utils';
import * as bg from '@prisma/schema-engine-wasm/schema_engine_bg';

type SchemaEngine = Awaited<ReturnType<typeof bg.SchemaEngine.new>>;

let loaded: Promise<void> | undefined;

/**
 * Loads Prisma's WebAssembly schema engine by hand: the package imports its .wasm as an
 * ES module, which Node 20 cannot do without a flag. This is what lets migrations run
 * without the native schema engine the Prisma CLI would download (docs/database.md).
 */
function loadWasm(): Promise<void> {
  loaded ??= (async () => {
    const entry = createRequire(import.meta.url).resolve('@prisma/schema-engine-wasm');
    const url = join(dirname(entry), 'schema_engine_bg.wasm');
    const { instance } = await WebAssembly.instantiate(await readFile(url), { './schema_engine_bg.js': bg as unknown as WebAssembly.ModuleImports });
    (bg as unknown as { __wbg_set_wasm(w: unknown): void }).__wbg_set_wasm(instance.exports);
    (instance.exports as { __wbindgen_start?: () => void }).__wbindgen_start?.();
  })();
  return loaded;
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

export async function openSchemaEngine(schemas: SchemaFile | SchemaFile[], factory: SqlMigrationAwareDriverAdapterFactory): Promise<OpenedSchemaEngine> {
  await loadWasm();
  const opened: { dispose(): Promise<void> }[] = [];
  const tracked: SqlMigrationAwareDriverAdapterFactory = {
    provider: factory.provider,
    adapterName: factory.adapterName,
    connect: async () => {
      const c = await factory.connect();
      opened.push(c);
      return c;
    },
    connectToShadowDb: async () => {
      const c = await factory.connectToShadowDb();
      opened.push(c);
      return c;
    },
  };
  const log = () => {};
  const engine = await bg.SchemaEngine.new({ datamodels: [schemas].flat().map((s) => [s.path, s.content] as [string, string]) }, log, bindMigrationAwareSqlAdapterFactory(tracked));
  return {
    engine,
    async close() {
      engine.free();
      await Promise.all(opened.map((c) => c.dispose().catch(() => {})));
    },
  };
}
