/** Runs a command with SKIFF_PG_URL pointing at a throw-away PostgreSQL (for migration:new). */
import { spawnSync } from 'node:child_process';
import { startPostgres } from '../test/postgres-server.js';

const pg = await startPostgres();
const r = spawnSync(process.argv[2]!, process.argv.slice(3), { stdio: 'inherit', env: { ...process.env, SKIFF_PG_URL: pg.url } });
pg.stop();
process.exit(r.status ?? 1);
