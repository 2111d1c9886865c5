/**
 * Runs a command with SKIFF_PG_URL pointing at a throw-away PostgreSQL (for
 * migration:new, whose PostgreSQL diff needs a server for its shadow database):
 *   node --import tsx scripts/with-postgres.ts npm run migration:new -- <name>
 */
import { spawnSync } from 'node:child_process';
import { startPostgres } from '../test/postgres-server.js';

const pg = await startPostgres();
const r = spawnSync(process.argv[2]!, process.argv.slice(3), { stdio: 'inherit', env: { ...process.env, SKIFF_PG_URL: pg.url } });
await pg.stop();
process.exit(r.status ?? 1);
