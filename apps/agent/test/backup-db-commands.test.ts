import { describe, expect, it } from 'vitest';
import { detectEngine, dumpCommand, restoreCommand } from '../src/backups/sources/database-commands.js';

// Which engine a container runs, and the commands its backup execs: the official images'
// names and variables; passwords only ever in the exec's environment, never in argv.

describe('database detection and commands', () => {
  it('detects the engine from the image name, else from the environment', () => {
    expect(detectEngine('postgres:16-alpine', [])).toBe('postgres');
    expect(detectEngine('registry.example:5000/library/postgis/postgis:15-3.4', [])).toBe('postgres');
    expect(detectEngine('timescale/timescaledb:latest-pg16', [])).toBe('postgres');
    expect(detectEngine('mariadb:11', [])).toBe('mysql');
    expect(detectEngine('mysql@sha256:abc', [])).toBe('mysql');
    expect(detectEngine('percona/percona-server:8.0', [])).toBe('mysql');
    expect(detectEngine('company/app-db:1', ['PGDATA=/data'])).toBe('postgres');
    expect(detectEngine('company/app-db:1', ['MARIADB_ROOT_PASSWORD=x'])).toBe('mysql');
    expect(detectEngine('registry:5000/postgres-exporter-like/app', [])).toBe(undefined);
    expect(detectEngine('busybox', ['PATH=/bin'])).toBe(undefined);
  });

  it('PostgreSQL: pg_dump of one database or pg_dumpall; the password from POSTGRES_PASSWORD goes in PGPASSWORD', () => {
    const env = ['POSTGRES_USER=app', 'POSTGRES_PASSWORD=s3cret'];
    const one = dumpCommand({ kind: 'database', container: 'db', engine: 'postgres', database: 'shop' }, env);
    expect(one).toEqual({ cmd: ['pg_dump', '-U', 'app', '--clean', '--if-exists', '--no-password', 'shop'], env: ['PGPASSWORD=s3cret'] });
    expect(dumpCommand({ kind: 'database', container: 'db', engine: 'postgres' }, []).cmd.slice(0, 3)).toEqual(['pg_dumpall', '-U', 'postgres']);
    expect(restoreCommand({ kind: 'database', container: 'db', engine: 'postgres', database: 'shop' }, env).cmd).toContain('ON_ERROR_STOP=1');
  });

  it('MySQL/MariaDB: root with the root password when there is one, MYSQL_PWD in the environment, mariadb-dump or mysqldump', () => {
    const env = ['MARIADB_ROOT_PASSWORD=rootpw', 'MARIADB_USER=app', 'MARIADB_PASSWORD=apppw'];
    const c = dumpCommand({ kind: 'database', container: 'db', engine: 'mysql', database: 'shop' }, env);
    expect(c.env).toEqual(['MYSQL_PWD=rootpw']);
    expect(c.cmd.join(' ')).not.toContain('rootpw');
    expect(c.cmd.slice(0, 2)).toEqual(['sh', '-c']);
    expect(c.cmd[2]).toContain('mariadb-dump');
    expect(c.cmd.slice(4)).toEqual([
      '--user=root',
      '--single-transaction',
      '--routines',
      '--events',
      '--triggers',
      '--add-drop-database',
      '--databases',
      'shop',
    ]);
    const app = dumpCommand({ kind: 'database', container: 'db', engine: 'mysql', user: 'app' }, env);
    expect(app.env).toEqual(['MYSQL_PWD=apppw']);
    expect(app.cmd).toContain('--all-databases');
    expect(restoreCommand({ kind: 'database', container: 'db', engine: 'mysql' }, ['MYSQL_ROOT_PASSWORD=r']).env).toEqual(['MYSQL_PWD=r']);
  });
});
