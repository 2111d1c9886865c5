import { execFileSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync, realpathSync, statSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { RegistryClient } from '@skiff/runtime';
import { buildImage, buildLayer, pushImage, type Entry } from './image-builder.js';
import { BUSYBOX_CONFIG, busyboxEntries } from './images.js';

/*
 * skiff-test/postgres:15: a real PostgreSQL server image made from the host's Debian
 * postgresql-15 (initdb, postgres, pg_dump, pg_dumpall, psql, pg_isready, their shared
 * libraries as ldd lists them, the share directory) on the busybox test image, at the
 * paths Debian built them for. It behaves like the official image where tests need it:
 * POSTGRES_USER / POSTGRES_DB at first start, data in /var/lib/postgresql/data (a volume
 * mounted there is copied up with the postgres user's ownership, as Docker does), socket in
 * /var/run/postgresql, user postgres (uid 999), no TCP.
 */

const MAJOR = '15';
const BIN = `/usr/lib/postgresql/${MAJOR}/bin`;
const LIB = `/usr/lib/postgresql/${MAJOR}/lib`;
const SHARE = `/usr/share/postgresql/${MAJOR}`;
const PROGRAMS = ['postgres', 'initdb', 'pg_ctl', 'pg_dump', 'pg_dumpall', 'psql', 'pg_isready'];
const UID = 999;

/** whether the host has the PostgreSQL the image is made from */
export const postgresImageAvailable = (): boolean => PROGRAMS.every((p) => existsSync(join(BIN, p)));

const ENTRYPOINT = `#!/bin/sh
set -e
PGDATA=/var/lib/postgresql/data
if [ ! -s "$PGDATA/PG_VERSION" ]; then
  initdb -D "$PGDATA" -U "\${POSTGRES_USER:-postgres}" --auth=trust -E UTF8 --locale=C >/tmp/initdb.log 2>&1 || { cat /tmp/initdb.log >&2; exit 1; }
  if [ -n "$POSTGRES_DB" ] && [ "$POSTGRES_DB" != postgres ]; then
    echo "CREATE DATABASE \\"$POSTGRES_DB\\";" | postgres --single -D "$PGDATA" postgres >/dev/null
  fi
fi
exec postgres -D "$PGDATA" -k /var/run/postgresql -c listen_addresses= -c dynamic_shared_memory_type=mmap
`;

/** shared libraries (and the loader) the files need, as ldd resolves them on this host */
function sharedLibraries(files: string[]): string[] {
  const out = execFileSync('ldd', files, { encoding: 'utf8' });
  const libs = new Set<string>();
  for (const line of out.split('\n')) {
    const m = /=>\s*(\/\S+)/.exec(line) ?? /^\s*(\/\S+)\s+\(0x/.exec(line);
    if (m) libs.add(m[1]!);
  }
  return [...libs];
}

function tree(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((d) => {
    const p = join(dir, d.name);
    if (d.isDirectory()) return tree(p);
    return d.isFile() || d.isSymbolicLink() ? [p] : [];
  });
}

/** the layer's entries: each file at its host path (symlinks resolved), with every parent directory */
function postgresEntries(): Entry[] {
  const programs = PROGRAMS.map((p) => join(BIN, p));
  const modules = readdirSync(LIB)
    .filter((f) => f.endsWith('.so') && !f.startsWith('llvmjit'))
    .map((f) => join(LIB, f));
  const files = new Set<string>([...programs, ...modules, ...sharedLibraries([...programs, ...modules]), ...tree(SHARE).filter((f) => !f.includes('/man/'))]);
  for (const z of ['/usr/share/zoneinfo/UTC', '/usr/share/zoneinfo/Etc/UTC']) if (existsSync(z)) files.add(z);
  const dirs = new Set<string>();
  for (const f of files) for (let d = dirname(f); d !== '/'; d = dirname(d)) dirs.add(d);
  const base = new Set(['bin', 'etc', 'home', 'root', 'tmp', 'usr', 'var']);
  return [
    ...[...dirs]
      .map((d) => d.slice(1))
      .filter((d) => !base.has(d))
      .sort()
      .map((d): Entry => ({ name: d, type: 'directory' })),
    ...[...files].sort().map((f): Entry => {
      const real = realpathSync(f);
      return { name: f.slice(1), content: readFileSync(real), mode: statSync(real).mode & 0o755 };
    }),
  ];
}

function imageEntries(): Entry[] {
  const busybox = busyboxEntries().filter((e) => e.name !== 'etc/passwd' && e.name !== 'etc/group');
  return [
    ...busybox,
    {
      name: 'etc/passwd',
      content:
        'root:x:0:0:root:/root:/bin/sh\nnobody:x:65534:65534:nobody:/nonexistent:/bin/false\npostgres:x:999:999:PostgreSQL:/var/lib/postgresql:/bin/sh\n',
    },
    { name: 'etc/group', content: 'root:x:0:\nnogroup:x:65534:\npostgres:x:999:\n' },
    { name: 'var/lib', type: 'directory' },
    { name: 'var/lib/postgresql', type: 'directory', uid: UID, gid: UID },
    { name: 'var/lib/postgresql/data', type: 'directory', uid: UID, gid: UID, mode: 0o700 },
    { name: 'var/run', type: 'directory' },
    { name: 'var/run/postgresql', type: 'directory', uid: UID, gid: UID, mode: 0o2775 },
    { name: 'usr/local', type: 'directory' },
    { name: 'usr/local/bin', type: 'directory' },
    { name: 'usr/local/bin/docker-entrypoint.sh', content: ENTRYPOINT, mode: 0o755 },
  ];
}

const pushed = new Map<string, Promise<string>>();

/**
 * Pushes skiff-test/postgres:15 to the registry at `host` (once per process and host) and
 * returns its reference. The layer is a plain tar: about 60 MB, mostly ICU, which gzip
 * would take seconds of the test's time to squeeze.
 */
export function postgresImage(host: string): Promise<string> {
  let p = pushed.get(host);
  if (!p) {
    p = (async () => {
      const client = new RegistryClient({ registry: host, insecure: true });
      const busyboxLayer = await buildLayer(imageEntries(), 'gzip');
      const pgLayer = await buildLayer(postgresEntries(), 'none');
      const image = buildImage([busyboxLayer, pgLayer], {
        Env: [`PATH=${BIN}:${BUSYBOX_CONFIG.Env[0]!.slice('PATH='.length)}`, `PG_MAJOR=${MAJOR}`, 'PGDATA=/var/lib/postgresql/data', 'TZ=UTC'],
        Entrypoint: ['/usr/local/bin/docker-entrypoint.sh'],
        Cmd: null,
        User: 'postgres',
      });
      await pushImage(client, 'skiff-test/postgres', MAJOR, image);
      return `${host}/skiff-test/postgres:${MAJOR}`;
    })();
    pushed.set(host, p);
  }
  return p;
}
