import { migrationAdapterFor, providerOf } from './adapters.js';
import { migrationList, NO_FILTERS, schemaFile } from './migrations.js';
import { openSchemaEngine, type OpenedSchemaEngine } from './schema-engine.js';

async function withEngine<T>(url: string, fn: (engine: OpenedSchemaEngine['engine']) => Promise<T>): Promise<T> {
  const { engine, close } = await openSchemaEngine(schemaFile(providerOf(url)), migrationAdapterFor(url));
  try {
    return await fn(engine);
  } finally {
    await close();
  }
}

/**
 * Applies the committed migrations that the database lacks: Prisma Migrate's
 * `migrate deploy`, bookkept in the same `_prisma_migrations` table, run in-process by
 * the WebAssembly schema engine. Safe to call at every start; returns what it applied.
 */
export async function applyMigrations(url: string): Promise<string[]> {
  const provider = providerOf(url);
  return withEngine(url, async (engine) => {
    const { appliedMigrationNames } = await engine.applyMigrations({ migrationsList: migrationList(provider), filters: NO_FILTERS });
    return appliedMigrationNames;
  });
}

/**
 * The SQL that would bring the committed migrations up to prisma/models.prisma, or ''
 * when they already match. The migrations are replayed into a shadow database: in-memory
 * for SQLite, a temporary database on the server of `url` for PostgreSQL.
 */
export async function unmigratedSchemaChanges(url: string): Promise<string> {
  const provider = providerOf(url);
  const list = migrationList(provider);
  return withEngine(url, async (engine) => {
    const diff = await engine.diff({
      from: list.migrationDirectories.length ? { tag: 'migrations', ...list } : { tag: 'empty' },
      to: { tag: 'schemaDatamodel', files: [schemaFile(provider)] },
      script: true,
      exitCode: true,
      filters: NO_FILTERS,
    });
    return diff.exitCode === 2 ? (diff.stdout ?? '') : '';
  });
}
