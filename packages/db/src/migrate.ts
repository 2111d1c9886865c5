import { migrationAdapterFor, providerOf } from './adapters.js';
import { migrationList, NO_FILTERS, schemaFile } from './migrations.js';
import { openSchemaEngine } from './schema-engine.js';

/**
 * Applies the committed migrations that the database lacks (Prisma Migrate's
 * `migrate deploy`, bookkept in the same `_prisma_migrations` table), through the
 * WebAssembly schema engine. Safe to call at every start.
 */
export async function applyMigrations(url: string): Promise<string[]> {
  const provider = providerOf(url);
  const { engine, close } = await openSchemaEngine(schemaFile(provider), migrationAdapterFor(url));
  try {
    const { appliedMigrationNames } = await engine.applyMigrations({ migrationsList: migrationList(provider), filters: NO_FILTERS });
    return appliedMigrationNames;
  } finally {
    await close();
  }
}
