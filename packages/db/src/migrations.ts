import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

export type Provider = 'sqlite' | 'postgresql';

export const PRISMA_DIR = join(import.meta.dirname, '../../../prisma');

export function schemaFile(provider: Provider): { path: string; content: string } {
  const path = join(PRISMA_DIR, provider, 'schema.prisma');
  return { path, content: readFileSync(path, 'utf8') };
}

/** The committed migrations of a provider, in the shape the schema engine wants. */
export function migrationList(provider: Provider) {
  const baseDir = join(PRISMA_DIR, provider, 'migrations');
  const lockPath = join(baseDir, 'migration_lock.toml');
  const dirs = existsSync(baseDir)
    ? readdirSync(baseDir, { withFileTypes: true })
        .filter((d) => d.isDirectory())
        .map((d) => d.name)
        .sort()
    : [];
  return {
    baseDir,
    lockfile: { path: 'migration_lock.toml', content: existsSync(lockPath) ? readFileSync(lockPath, 'utf8') : null },
    shadowDbInitScript: '',
    migrationDirectories: dirs.map((name) => {
      const file = join(baseDir, name, 'migration.sql');
      return {
        path: name,
        migrationFile: {
          path: 'migration.sql',
          content: existsSync(file) ? { tag: 'ok' as const, value: readFileSync(file, 'utf8') } : { tag: 'error' as const, value: 'missing migration.sql' },
        },
      };
    }),
  };
}

export const NO_FILTERS = { externalTables: [], externalEnums: [] };
