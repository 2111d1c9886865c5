/**
 * Prisma CLI configuration (Prisma 7 reads it from the working directory: run the CLI
 * from packages/db, e.g. `npm run -w @skiff/db prisma -- migrate status`).
 *
 * - The schema and migrations follow the provider of DATABASE_URL (default: the agent's
 *   SQLite file), because a Prisma schema fixes its provider (docs/database.md).
 * - The native schema engine the CLI would download is replaced by bin/schema-engine, the
 *   WebAssembly engine behind the same JSON-RPC protocol, so every command works offline.
 */
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { defineConfig } from 'prisma/config';

const here = fileURLToPath(new URL('.', import.meta.url));
const url = process.env.DATABASE_URL || `file:${join(process.env.SKIFF_ROOT || '/var/lib/skiff', 'skiff.db')}`;
const provider = url.startsWith('file:') ? 'sqlite' : 'postgresql';

process.env.PRISMA_SCHEMA_ENGINE_BINARY ||= join(here, 'bin', 'schema-engine');
process.env.PRISMA_HIDE_UPDATE_MESSAGE ||= '1';
process.env.CHECKPOINT_DISABLE ||= '1';

export default defineConfig({
  schema: join(here, '../../prisma', provider, 'schema.prisma'),
  migrations: { path: join(here, '../../prisma', provider, 'migrations') },
  datasource: { url, shadowDatabaseUrl: process.env.SHADOW_DATABASE_URL || undefined },
});
