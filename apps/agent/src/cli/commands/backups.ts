import { parseFlags } from '../args.js';
import type { SkiffClient } from '../client.js';
import { CliError, messageOf } from '../errors.js';
import { humanSize, table, timeAgo } from '../format.js';
import { groupHelpFor } from '../help.js';
import { io } from '../io.js';

type Client = SkiffClient;

const CREATE_FLAGS = {
  volume: { type: 'string', help: 'Back up this volume', value: 'name' },
  database: { type: 'string', help: 'Back up the database served by this running container (pg_dump / mysqldump by exec)', value: 'container' },
  engine: { type: 'string', help: 'Database engine: postgres or mysql (default: detected from the image and environment)' },
  db: { type: 'string', help: 'One database to dump (default: all of the server)', value: 'name' },
  'db-user': { type: 'string', help: 'Database user (default: from the container environment)', value: 'user' },
  pause: { type: 'boolean', help: 'Pause the running containers using the volume while it is read' },
  'hook-container': { type: 'string', help: 'Container the pre/post hooks run in', value: 'container' },
  pre: { type: 'string', help: 'Command run (sh -c) in the hook container before the volume is read', value: 'command' },
  post: { type: 'string', help: 'Command run (sh -c) in the hook container after the volume is read', value: 'command' },
  schedule: { type: 'string', help: 'Cron expression (UTC; 5 fields, or 6 with seconds); none: run only when asked', value: 'cron' },
  dir: { type: 'string', help: 'Store in this host directory (outside <root>/backups: admin only)', value: 'path' },
  's3-endpoint': { type: 'string', help: 'Store in an S3-compatible service at this URL', value: 'url' },
  's3-bucket': { type: 'string', help: 'S3 bucket', value: 'name' },
  's3-prefix': { type: 'string', help: 'S3 key prefix', value: 'prefix' },
  's3-region': { type: 'string', help: 'S3 region (default us-east-1)', value: 'region' },
  's3-access-key': { type: 'string', help: 'S3 access key', value: 'key' },
  's3-secret-key': { type: 'string', help: 'S3 secret key (stored sealed; never shown again)', value: 'secret' },
  compression: { type: 'string', help: 'zstd (default) or gzip' },
  'keep-last': { type: 'string', help: 'Keep the newest N backups', value: 'int' },
  'keep-days': { type: 'string', help: 'Keep backups younger than N days', value: 'int' },
} as const;

const int = (v: string | undefined, flag: string): number | undefined => {
  if (v === undefined) return undefined;
  if (!/^\d+$/.test(v)) throw new CliError(`invalid --${flag}: ${v}`);
  return Number(v);
};

async function create(client: Client, rest: string[]): Promise<number> {
  const { flags: f, args } = parseFlags(rest, CREATE_FLAGS, { command: 'backup create' });
  if (args.length !== 1) throw new CliError('"skiff backup create" requires exactly 1 argument.');
  if (!!f.volume === !!f.database) throw new CliError('give one of --volume or --database');
  if (!!f.dir === !!f['s3-endpoint']) throw new CliError('give one of --dir or --s3-endpoint');
  if ((f.pre || f.post) && !f['hook-container']) throw new CliError('--pre/--post need --hook-container');
  const hook =
    f.pre || f.post
      ? { container: f['hook-container']!, ...(f.pre ? { pre: ['sh', '-c', f.pre] } : {}), ...(f.post ? { post: ['sh', '-c', f.post] } : {}) }
      : undefined;
  const target = f.volume
    ? { kind: 'volume' as const, volume: f.volume, pause: !!f.pause, hook }
    : {
        kind: 'database' as const,
        container: f.database!,
        engine: f.engine as 'postgres' | 'mysql' | undefined,
        database: f.db,
        user: f['db-user'],
      };
  const destination = f.dir
    ? { kind: 'local' as const, path: f.dir }
    : {
        kind: 's3' as const,
        endpoint: f['s3-endpoint']!,
        bucket: f['s3-bucket'] ?? '',
        prefix: f['s3-prefix'],
        region: f['s3-region'],
        accessKey: f['s3-access-key'] ?? '',
        secretKey: f['s3-secret-key'] ?? '',
      };
  const p = await client.backups.create.mutate({
    name: args[0]!,
    target,
    destination,
    schedule: f.schedule,
    compression: f.compression as 'zstd' | 'gzip' | undefined,
    retention: { keepLast: int(f['keep-last'], 'keep-last'), keepDays: int(f['keep-days'], 'keep-days') },
  });
  io().stdout.write(`${p.name}\n`);
  return 0;
}

const targetText = (t: { kind: string; volume?: string; container?: string; engine?: string; database?: string }) =>
  t.kind === 'volume' ? `volume ${t.volume}` : `${t.engine} ${t.container}${t.database ? `/${t.database}` : ''}`;
const destText = (d: { kind: string; path?: string; bucket?: string; prefix?: string }) =>
  d.kind === 'local' ? d.path! : `s3://${d.bucket}/${d.prefix ?? ''}`;
const when = (d: string | Date | null | undefined) => (d ? timeAgo(new Date(d).getTime()) : '');

async function list(client: Client, rest: string[]): Promise<number> {
  const { flags } = parseFlags(rest, { quiet: { type: 'boolean', short: 'q' } }, { command: 'backup ls' });
  const plans = await client.backups.list.query();
  if (flags.quiet) {
    io().stdout.write(plans.map((p) => `${p.name}\n`).join(''));
    return 0;
  }
  io().stdout.write(
    table(
      ['NAME', 'TARGET', 'DESTINATION', 'SCHEDULE', 'LAST RUN', 'STATUS'],
      plans.map((p) => [
        p.name,
        targetText(p.target),
        destText(p.destination),
        p.schedule ? (p.enabled ? p.schedule : `${p.schedule} (disabled)`) : '-',
        when(p.lastRun?.startedAt),
        p.running ? 'running' : (p.lastRun?.status ?? '-'),
      ]),
    ),
  );
  return 0;
}

type RunRow = { id: string; status: string; size: number | null; durationMs: number | null; error: string | null };
const runLine = (r: RunRow) =>
  r.status === 'succeeded'
    ? `${r.id} succeeded: ${humanSize(r.size ?? 0)} in ${((r.durationMs ?? 0) / 1000).toFixed(1)}s\n`
    : `${r.id} ${r.status}${r.error ? `: ${r.error}` : ''}\n`;

async function runNow(client: Client, rest: string[]): Promise<number> {
  const { flags, args } = parseFlags(
    rest,
    { detach: { type: 'boolean', short: 'd', help: 'Return at once; the run goes on in the agent' } },
    { command: 'backup run' },
  );
  if (args.length !== 1) throw new CliError('"skiff backup run" requires exactly 1 argument.');
  const r = await client.backups.run.mutate({ name: args[0]!, wait: !flags.detach });
  io().stdout.write(runLine(r));
  return r.status === 'failed' ? 1 : 0;
}

async function runs(client: Client, rest: string[]): Promise<number> {
  const { flags, args } = parseFlags(
    rest,
    { quiet: { type: 'boolean', short: 'q' }, limit: { type: 'string', short: 'n', help: 'Number of runs to show (default 50)', value: 'int' } },
    { command: 'backup runs' },
  );
  const rows = await client.backups.runs.query({ name: args[0], limit: int(flags.limit, 'limit') });
  if (flags.quiet) {
    io().stdout.write(rows.map((r) => `${r.id}\n`).join(''));
    return 0;
  }
  io().stdout.write(
    table(
      ['ID', 'PLAN', 'STATUS', 'TRIGGER', 'STARTED', 'DURATION', 'SIZE', 'ERROR'],
      rows.map((r) => [
        r.id,
        r.plan,
        r.status,
        r.trigger,
        when(r.startedAt),
        r.durationMs === null ? '' : `${(r.durationMs / 1000).toFixed(1)}s`,
        r.size === null ? '' : humanSize(r.size),
        (r.error ?? '').replace(/\s+/g, ' ').slice(0, 120),
      ]),
    ),
  );
  return 0;
}

async function restore(client: Client, rest: string[]): Promise<number> {
  const { flags: f, args } = parseFlags(
    rest,
    {
      volume: { type: 'string', help: 'Restore into this existing volume (default: the plan volume), replacing its content', value: 'name' },
      'new-volume': { type: 'string', help: 'Restore into a new volume of this name', value: 'name' },
      container: { type: 'string', help: 'Restore a database into this running container (default: the plan container)', value: 'container' },
      db: { type: 'string', help: 'Database to replay a one-database dump into (default: the plan database)', value: 'name' },
      force: { type: 'boolean', short: 'f', help: 'Restore into a volume that running containers use, while they run' },
      stop: { type: 'boolean', help: 'Stop the running containers using the volume, restore, start them again' },
    },
    { command: 'backup restore' },
  );
  if (args.length !== 1) throw new CliError('"skiff backup restore" requires exactly 1 argument (a run id: skiff backup runs).');
  const r = await client.backups.restore.mutate({
    run: args[0]!,
    volume: f.volume,
    newVolume: f['new-volume'],
    container: f.container,
    database: f.db,
    force: !!f.force,
    stop: !!f.stop,
  });
  io().stdout.write(`restored into ${r.target}\n`);
  return 0;
}

async function remove(client: Client, rest: string[]): Promise<number> {
  const { flags, args } = parseFlags(
    rest,
    {
      run: { type: 'boolean', help: 'The arguments are run ids: delete those backups (archive and record)' },
      purge: { type: 'boolean', help: "Also delete the plan's archives from its destination" },
    },
    { command: 'backup rm' },
  );
  if (!args.length) throw new CliError('"skiff backup rm" requires at least 1 argument.');
  let code = 0;
  for (const a of args) {
    try {
      if (flags.run) await client.backups.deleteRun.mutate({ run: a });
      else await client.backups.remove.mutate({ name: a, purge: !!flags.purge });
      io().stdout.write(`${a}\n`);
    } catch (e) {
      io().stderr.write(`Error response from agent: ${messageOf(e)}\n`);
      code = 1;
    }
  }
  return code;
}

/** `skiff backup create|ls|run|runs|restore|rm` */
export async function backupCommand(client: Client, argv: string[]): Promise<number> {
  const [sub, ...rest] = argv;
  const help = groupHelpFor('backup', sub);
  if (help) throw help;
  switch (sub) {
    case 'create':
      return create(client, rest);
    case 'ls':
    case 'list':
      return list(client, rest);
    case 'run':
      return runNow(client, rest);
    case 'runs':
      return runs(client, rest);
    case 'restore':
      return restore(client, rest);
    case 'rm':
    case 'remove':
      return remove(client, rest);
    default:
      throw new CliError('usage: skiff backup create|ls|run|runs|restore|rm ...');
  }
}
