import { execFileSync, spawnSync } from 'node:child_process';
import { chownSync, mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

function pgBin(name: string): string {
  const out = spawnSync('sh', ['-c', `ls -d /usr/lib/postgresql/*/bin/${name} | sort -V | tail -1`], { encoding: 'utf8' }).stdout.trim();
  if (!out) throw new Error(`PostgreSQL server binaries not found (${name}); install Debian's postgresql`);
  return out;
}

export function postgresAvailable(): boolean {
  try {
    pgBin('initdb');
    return true;
  } catch {
    return false;
  }
}

async function freePort(): Promise<number> {
  return new Promise((resolve) => {
    const s = createServer().listen(0, '127.0.0.1', () => {
      const { port } = s.address() as { port: number };
      s.close(() => resolve(port));
    });
  });
}

/**
 * A throw-away PostgreSQL cluster on 127.0.0.1 (Debian's server binaries, run as the
 * postgres user), trust auth, removed by stop().
 */
export async function startPostgres(): Promise<{ url: string; stop(): void }> {
  const dir = mkdtempSync(join(tmpdir(), 'skiff-pg-'));
  chownSync(dir, Number(execFileSync('id', ['-u', 'postgres'], { encoding: 'utf8' }).trim()), Number(execFileSync('id', ['-g', 'postgres'], { encoding: 'utf8' }).trim()));
  const port = await freePort();
  const asPostgres = (cmd: string, args: string[]) => execFileSync('runuser', ['-u', 'postgres', '--', cmd, ...args], { stdio: 'pipe' });
  asPostgres(pgBin('initdb'), ['-D', join(dir, 'data'), '--auth=trust', '-U', 'postgres', '--no-sync']);
  asPostgres(pgBin('pg_ctl'), ['-D', join(dir, 'data'), '-l', join(dir, 'log'), '-w', '-o', `-p ${port} -k ${dir} -c listen_addresses=127.0.0.1 -c fsync=off`, 'start']);
  const stop = () => {
    try {
      asPostgres(pgBin('pg_ctl'), ['-D', join(dir, 'data'), '-m', 'immediate', '-w', 'stop']);
    } catch {
      /* already stopped */
    }
    rmSync(dir, { recursive: true, force: true });
  };
  process.once('exit', stop);
  return { url: `postgresql://postgres@127.0.0.1:${port}/postgres`, stop };
}
