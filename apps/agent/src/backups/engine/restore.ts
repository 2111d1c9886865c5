import type { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import type { Db } from '@skiff/db';
import { logger } from '@skiff/logger';
import { Conflict, InvalidArgument, NotFound, type Runtime } from '@skiff/runtime';
import type { SecretBox } from '../../auth/secrets.js';
import { openDestination } from '../destinations/open-destination.js';
import type { DatabaseTarget } from '../plan-schema.js';
import { planOf } from '../plan-store.js';
import { restoreCommand } from '../sources/database-commands.js';
import { containerFacts } from '../sources/database-source.js';
import { execWithInput } from '../sources/exec-stream.js';
import { decompressor, Meter, sha256Of } from './byte-streams.js';

const log = logger.child({ component: 'backup' });

export interface RestoreRequest {
  run: string;
  /** an existing volume to restore into (default: the plan's own); its content is replaced */
  volume?: string;
  /** a volume to create and restore into; refused if it exists */
  newVolume?: string;
  /** the database container to restore into (default: the plan's) */
  container?: string;
  /** the database to replay a one-database dump into (default: the plan's) */
  database?: string;
  /** restore into a volume that running containers use, while they run */
  force?: boolean;
  /** stop the running containers that use the volume, restore, start them again */
  stop?: boolean;
}

/** the archive's decompressed bytes, and the check of what was read against the run's digest */
type Opener = () => Promise<{ stream: Readable; verify(): void }>;

export interface RestoreDeps {
  db: Db;
  runtime: Runtime;
  secrets: SecretBox;
}

/** containers that mount the volume and are running (or paused): their processes would see a half-restored tree */
async function activeUsers(runtime: Runtime, volume: string): Promise<string[]> {
  const v = await runtime.volumes.inspect(volume);
  const active = new Set((await runtime.containers.list({ filters: { status: ['running', 'paused', 'restarting'] } })).map((c) => c.id));
  return v.usedBy.filter((id) => active.has(id));
}

/**
 * Restores a run's archive. The stored bytes are checked against the run's sha256 first (an
 * archive changed at the destination is refused whole), then streamed through the
 * decompressor with a limit of the run's raw size (a swapped-in bomb stops there) into the
 * volume (the runtime extracts over fds, RESOLVE_IN_ROOT: nothing lands outside it) or into
 * the database's own client by exec.
 */
export async function restoreRun(deps: RestoreDeps, req: RestoreRequest): Promise<{ target: string }> {
  const run = await deps.db.backupRun.findUnique({ where: { id: req.run }, include: { plan: true } });
  if (!run) throw new NotFound(`no backup run ${req.run}`);
  if (run.status !== 'succeeded' || !run.location || !run.sha256 || run.rawSize === null)
    throw new Conflict(`backup run ${run.id} has no archive (status ${run.status})`);
  const plan = planOf(run.plan);
  const dest = await openDestination(plan.destination, deps.secrets);
  const check = await sha256Of(await dest.get(run.location));
  if (check.sha256 !== run.sha256)
    throw new Conflict(`the archive of run ${run.id} at ${dest.describe} is not the one backed up (sha256 differs): refusing to restore it`);
  const open: Opener = async () => {
    const stored = await dest.get(run.location!);
    const rehash = new Meter({ hash: true });
    const limit = new Meter({ limit: run.rawSize!, what: `the archive of run ${run.id}` });
    void pipeline(stored as Readable, rehash, decompressor(run.compression), limit).catch((e: Error) => limit.destroy(e));
    return {
      stream: limit,
      // the bytes read now against the run's digest again (the file could change between the check and the read)
      verify() {
        if (rehash.digest() !== run.sha256) throw new Conflict(`the archive of run ${run.id} changed while it was restored (sha256 differs)`);
      },
    };
  };
  if (run.kind === 'volume') return restoreVolume(deps, req, plan.target.kind === 'volume' ? plan.target.volume : undefined, open);
  if (run.kind !== 'postgres' && run.kind !== 'mysql') throw new InvalidArgument(`unknown backup kind ${run.kind}`);
  const t = plan.target.kind === 'database' ? plan.target : undefined;
  const target: DatabaseTarget = {
    kind: 'database',
    engine: run.kind,
    container: req.container ?? t?.container ?? '',
    database: req.database ?? t?.database,
    user: t?.user,
  };
  if (!target.container) throw new InvalidArgument('which container to restore the database into?');
  return restoreDatabase(deps, target, open);
}

async function restoreVolume(deps: RestoreDeps, req: RestoreRequest, planVolume: string | undefined, open: Opener) {
  const { runtime } = deps;
  if (req.newVolume) {
    if (await runtime.volumes.find(req.newVolume)) throw new Conflict(`volume ${req.newVolume} already exists (restore into it with --volume)`);
    await runtime.volumes.create(req.newVolume);
    try {
      const a = await open();
      await runtime.volumes.restore(req.newVolume, a.stream, { replace: true });
      a.verify();
    } catch (e) {
      await runtime.volumes
        .remove(req.newVolume, { force: true })
        .catch((e2: unknown) => log.warn('removing a half-restored volume', { volume: req.newVolume, err: e2 }));
      throw e;
    }
    return { target: req.newVolume };
  }
  const volume = req.volume ?? planVolume;
  if (!volume) throw new InvalidArgument('which volume to restore into?');
  const users = await activeUsers(runtime, volume);
  if (users.length && !req.force && !req.stop)
    throw new Conflict(
      `volume ${volume} is in use by running containers [${users.map((u) => u.slice(0, 12)).join(', ')}]: stop them, or restore with stop or force`,
    );
  const stopped: string[] = [];
  try {
    if (req.stop) {
      for (const id of users) {
        await runtime.containers.stop(id);
        stopped.push(id);
      }
    }
    const a = await open();
    await runtime.volumes.restore(volume, a.stream, { replace: true });
    a.verify();
  } finally {
    for (const id of stopped)
      await runtime.containers.start(id).catch((e: unknown) => log.error('restarting a container after a restore', { container: id, err: e }));
  }
  return { target: volume };
}

async function restoreDatabase(deps: RestoreDeps, t: DatabaseTarget, open: Opener) {
  const f = await containerFacts(deps.runtime, t.container);
  if (!f.running) throw new Conflict(`container ${t.container} is not running: a database is restored through its own server`);
  const { cmd, env } = restoreCommand(t, f.env);
  const a = await open();
  const r = await execWithInput(deps.runtime, f.id, cmd, a.stream as AsyncIterable<Buffer>, env);
  if (r.code !== 0) throw new Error(`the restore (${cmd[0] === 'sh' ? 'mysql' : cmd[0]}) exited with ${r.code}${r.stderr ? `: ${r.stderr}` : ''}`);
  a.verify();
  return { target: `${t.container}${t.database ? `/${t.database}` : ''}` };
}
