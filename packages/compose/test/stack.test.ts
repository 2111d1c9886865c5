import { describe, expect, it } from 'vitest';
import { load } from './helpers.js';

// the seed-notes stack: a MariaDB-like database and an app that waits for it
const NOTES = `
version: "3.8"
services:
  db:
    image: mariadb:11
    restart: unless-stopped
    environment:
      MARIADB_ROOT_PASSWORD: \${DB_ROOT_PASSWORD:?set DB_ROOT_PASSWORD}
      MARIADB_DATABASE: notes
      MARIADB_USER: notes
      MARIADB_PASSWORD: \${DB_PASSWORD:-notes}
    volumes:
      - db-data:/var/lib/mysql
    healthcheck:
      test: ["CMD", "healthcheck.sh", "--connect", "--innodb_initialized"]
      interval: 10s
      timeout: 5s
      retries: 5
      start_period: 30s
  app:
    image: seed-notes:latest
    depends_on:
      db:
        condition: service_healthy
    environment:
      - DATABASE_URL=mysql://notes:\${DB_PASSWORD:-notes}@db:3306/notes
      - NODE_ENV=production
    ports:
      - "8080:3000"
    restart: always
volumes:
  db-data:
`;

describe('seed-notes stack', () => {
  it('loads into the model the engine consumes', async () => {
    const p = await load(NOTES, { env: { DB_ROOT_PASSWORD: 'root' } });
    expect(p.name).toBe('notes');
    expect(p.workingDir).toBe('/srv/notes');
    expect(Object.keys(p.services)).toEqual(['db', 'app']);
    const { db, app } = p.services;
    expect(db!.image).toBe('mariadb:11');
    expect(db!.restart).toBe('unless-stopped');
    expect(db!.environment).toEqual({
      MARIADB_ROOT_PASSWORD: 'root',
      MARIADB_DATABASE: 'notes',
      MARIADB_USER: 'notes',
      MARIADB_PASSWORD: 'notes',
    });
    expect(db!.volumes).toEqual([{ type: 'volume', source: 'db-data', target: '/var/lib/mysql', readOnly: false }]);
    expect(db!.healthcheck).toEqual({
      test: ['CMD', 'healthcheck.sh', '--connect', '--innodb_initialized'],
      interval: 10e9,
      timeout: 5e9,
      retries: 5,
      startPeriod: 30e9,
      disable: false,
    });
    expect(app!.dependsOn).toEqual({ db: { condition: 'service_healthy', required: true, restart: false } });
    expect(app!.environment).toEqual({ DATABASE_URL: 'mysql://notes:notes@db:3306/notes', NODE_ENV: 'production' });
    expect(app!.ports).toEqual([{ target: 3000, published: '8080', protocol: 'tcp' }]);
    expect(app!.networks).toEqual({ default: { aliases: [] } });
    expect(app!.replicas).toBe(1);
    expect(app!.pullPolicy).toBe('missing');
    expect(p.networks).toEqual({ default: { name: 'notes_default', external: false, internal: false, labels: {} } });
    expect(p.volumes).toEqual({ 'db-data': { name: 'notes_db-data', external: false, labels: {} } });
    expect(p.warnings).toBeUndefined();
  });

  it('names the missing required variable with its location', async () => {
    await expect(load(NOTES)).rejects.toThrow(
      'docker-compose.yml:8:30: services.db.environment.MARIADB_ROOT_PASSWORD: required variable DB_ROOT_PASSWORD is missing a value: set DB_ROOT_PASSWORD',
    );
  });
});
