import type { DatabaseTarget, DbEngine } from '../plan-schema.js';

/*
 * The dump and restore commands run by exec in a database's own container, so they are the
 * server's own client versions, talk to it over its local socket, and need no network path
 * from the agent. Credentials come from the container's environment, as the official
 * images define it; passwords go in the exec's environment, never on a command line.
 */

export interface DbCommand {
  cmd: string[];
  env: string[];
}

const envOf = (env: string[], key: string): string | undefined => {
  const line = env.find((e) => e.startsWith(`${key}=`));
  return line?.slice(key.length + 1);
};

/** the engine an image and its environment tell: the official images' names and variables */
export function detectEngine(image: string, env: string[]): DbEngine | undefined {
  const repo =
    image
      .split('@')[0]!
      .replace(/:[^/]*$/, '')
      .split('/')
      .pop() ?? '';
  if (/postgres|postgis|timescale/.test(repo)) return 'postgres';
  if (/mysql|mariadb|percona/.test(repo)) return 'mysql';
  const keys = env.map((e) => e.split('=')[0]!);
  if (keys.some((k) => k.startsWith('POSTGRES_') || k === 'PG_MAJOR' || k === 'PGDATA')) return 'postgres';
  if (keys.some((k) => k.startsWith('MYSQL_') || k.startsWith('MARIADB_'))) return 'mysql';
  return undefined;
}

function postgresUser(t: DatabaseTarget, env: string[]): { user: string; passEnv: string[] } {
  const user = t.user ?? envOf(env, 'POSTGRES_USER') ?? 'postgres';
  const pass = envOf(env, 'POSTGRES_PASSWORD');
  return { user, passEnv: pass ? [`PGPASSWORD=${pass}`] : [] };
}

function mysqlUser(t: DatabaseTarget, env: string[]): { user: string; passEnv: string[] } {
  const root = envOf(env, 'MARIADB_ROOT_PASSWORD') ?? envOf(env, 'MYSQL_ROOT_PASSWORD');
  const user = t.user ?? (root ? 'root' : (envOf(env, 'MARIADB_USER') ?? envOf(env, 'MYSQL_USER') ?? 'root'));
  const pass = user === 'root' ? root : (envOf(env, 'MARIADB_PASSWORD') ?? envOf(env, 'MYSQL_PASSWORD'));
  return { user, passEnv: pass ? [`MYSQL_PWD=${pass}`] : [] };
}

/** MariaDB 11 images have only the mariadb-* names, older MySQL ones only mysql*: whichever exists */
const either = (a: string, b: string, args: string[]): string[] => [
  'sh',
  '-c',
  `if command -v ${a} >/dev/null 2>&1; then exec ${a} "$@"; else exec ${b} "$@"; fi`,
  'sh',
  ...args,
];

/** a plain-SQL dump on stdout that recreates what it holds (DROP … IF EXISTS first) */
export function dumpCommand(t: DatabaseTarget, env: string[]): DbCommand {
  if (t.engine === 'postgres') {
    const { user, passEnv } = postgresUser(t, env);
    const cmd = t.database
      ? ['pg_dump', '-U', user, '--clean', '--if-exists', '--no-password', t.database]
      : ['pg_dumpall', '-U', user, '--clean', '--if-exists', '--no-password'];
    return { cmd, env: passEnv };
  }
  const { user, passEnv } = mysqlUser(t, env);
  const args = [`--user=${user}`, '--single-transaction', '--routines', '--events', '--triggers', '--add-drop-database'];
  return { cmd: either('mariadb-dump', 'mysqldump', [...args, ...(t.database ? ['--databases', t.database] : ['--all-databases'])]), env: passEnv };
}

/** feeds a dump to the server's client; the first error stops it (and the restore fails with it) */
export function restoreCommand(t: DatabaseTarget, env: string[]): DbCommand {
  if (t.engine === 'postgres') {
    const { user, passEnv } = postgresUser(t, env);
    // a single database's dump is replayed into it, stopping at the first error; pg_dumpall's
    // connects to each database itself and cannot stop there: it re-creates the roles, and
    // the one psql runs as always exists (PostgreSQL's documented way is to let that fail)
    if (t.database) return { cmd: ['psql', '-U', user, '--no-password', '-v', 'ON_ERROR_STOP=1', '-q', '-d', t.database], env: passEnv };
    return { cmd: ['psql', '-U', user, '--no-password', '-q', '-d', 'postgres'], env: passEnv };
  }
  const { user, passEnv } = mysqlUser(t, env);
  return { cmd: either('mariadb', 'mysql', [`--user=${user}`]), env: passEnv };
}
