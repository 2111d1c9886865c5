import { Conflict, InvalidArgument, type Runtime } from '@skiff/runtime';
import type { DatabaseTarget, DbEngine } from '../plan-schema.js';
import { dumpCommand, detectEngine } from './database-commands.js';
import { execOutput } from './exec-stream.js';
import type { BackupSource } from './source.js';

/** the container's image reference and environment (what detection and credentials use) */
export async function containerFacts(runtime: Runtime, container: string): Promise<{ image: string; env: string[]; running: boolean; id: string }> {
  const c = await runtime.containers.inspect(container);
  return { image: c.Config.Image, env: c.Config.Env ?? [], running: c.State.Running, id: c.Id };
}

/** the plan's engine, or the one the container's image and environment tell; refused when neither */
export async function resolveEngine(runtime: Runtime, container: string, given?: DbEngine): Promise<DbEngine> {
  if (given) return given;
  const f = await containerFacts(runtime, container);
  const engine = detectEngine(f.image, f.env);
  if (!engine) throw new InvalidArgument(`cannot tell which database ${container} runs (image ${f.image}): give the engine (postgres or mysql)`);
  return engine;
}

/** pg_dump / mysqldump through exec in the running database container */
export async function databaseSource(runtime: Runtime, t: DatabaseTarget): Promise<BackupSource> {
  const f = await containerFacts(runtime, t.container);
  if (!f.running) throw new Conflict(`container ${t.container} is not running: a database is dumped by its own server`);
  const { cmd, env } = dumpCommand(t, f.env);
  const { stdout, exit } = await execOutput(runtime, f.id, cmd, env);
  return {
    kind: t.engine,
    stream: stdout,
    async finish() {
      const r = await exit;
      if (r.code !== 0) throw new Error(`${cmd[0] === 'sh' ? 'the dump' : cmd[0]} exited with ${r.code}${r.stderr ? `: ${r.stderr}` : ''}`);
    },
  };
}
