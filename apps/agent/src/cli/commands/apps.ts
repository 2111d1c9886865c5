import { groupHelpFor } from '../help.js';
import { io } from '../io.js';
import { parseFlags } from '../args.js';
import type { SkiffClient } from '../client.js';
import { CliError } from '../errors.js';
import { table } from '../format.js';

/** `skiff app create|ls|deploy|rollback|logs|rm|cancel` (docs/apps.md) */
export async function appCommand(client: SkiffClient, argv: string[]): Promise<number> {
  const [sub, ...rest] = argv;
  const help = groupHelpFor('app', sub);
  if (help) throw help;
  switch (sub) {
    case 'create':
      return create(client, rest);
    case 'ls':
    case 'list':
      return list(client, rest);
    case 'deploy':
    case 'rollback':
      return deploy(client, sub, rest);
    case 'logs': {
      const { flags, args } = parseFlags(
        rest,
        { tail: { type: 'string', short: 'n', help: 'Lines from the end of each container (default 200)' } },
        { command: 'app logs' },
      );
      const name = one(args, 'app logs');
      const lines = await client.apps.logs.query({ name, tail: flags.tail ? intFlag(flags.tail, '--tail') : 200 });
      for (const l of lines) (l.stream === 'stderr' ? io().stderr : io().stdout).write(`${l.container} | ${l.line.endsWith('\n') ? l.line : `${l.line}\n`}`);
      return 0;
    }
    case 'rm':
    case 'remove': {
      const { args } = parseFlags(rest, {}, { command: 'app rm' });
      if (!args.length) throw new CliError('"skiff app rm" requires at least 1 argument.');
      for (const name of args) {
        await client.apps.remove.mutate({ name });
        io().stdout.write(`${name}\n`);
      }
      return 0;
    }
    default:
      throw new CliError('usage: skiff app create|ls|deploy|rollback|logs|rm ...');
  }
}

function one(args: string[], command: string): string {
  if (args.length !== 1) throw new CliError(`"skiff ${command}" requires exactly 1 argument.`);
  return args[0]!;
}

function intFlag(v: string, flag: string): number {
  if (!/^\d+$/.test(v)) throw new CliError(`invalid value "${v}" for ${flag}: not a number`);
  return Number(v);
}

/** K=V pairs (a bare K is refused: the value would be ambiguous) */
function pairs(list: string[] | undefined, flag: string): Record<string, string> | undefined {
  if (!list?.length) return undefined;
  const out: Record<string, string> = {};
  for (const p of list) {
    const i = p.indexOf('=');
    if (i <= 0) throw new CliError(`invalid ${flag} "${p}": expected KEY=VALUE`);
    out[p.slice(0, i)] = p.slice(i + 1);
  }
  return out;
}

async function create(client: SkiffClient, argv: string[]): Promise<number> {
  const { flags, args } = parseFlags(
    argv,
    {
      git: { type: 'string', help: 'Deploy from this git repository (https://, ssh://, git@host:path)', value: 'url' },
      branch: { type: 'string', help: 'The branch to deploy (default main)' },
      path: { type: 'string', help: 'The build context inside the repository (its Dockerfile is built)', value: 'dir' },
      image: { type: 'string', help: 'Deploy this image instead of building one', value: 'ref' },
      port: { type: 'string', short: 'p', help: 'The port the app listens on in its container (default 80)', value: 'int' },
      domain: { type: 'string', multiple: true, help: 'A host name routed to the app (repeatable)', value: 'host' },
      env: { type: 'string', short: 'e', multiple: true, help: 'An environment variable KEY=VALUE (repeatable)' },
      secret: { type: 'string', multiple: true, help: 'A secret variable KEY=VALUE: sealed, never shown again (repeatable)' },
      replicas: { type: 'string', help: 'Containers to run (default 1)', value: 'int' },
      'health-path': { type: 'string', help: 'HTTP path that must answer 2xx/3xx before the app goes live' },
      'no-https': { type: 'boolean', help: 'Route the domains over plain HTTP only' },
      token: { type: 'string', help: 'An access token for an HTTPS git repository' },
      deploy: { type: 'boolean', help: 'Deploy once created' },
    },
    { command: 'app create' },
  );
  const name = one(args, 'app create');
  if (!!flags.git === !!flags.image) throw new CliError('"skiff app create" needs exactly one of --git URL and --image REF');
  const source = flags.git
    ? { kind: 'git' as const, url: flags.git, branch: flags.branch ?? 'main', path: flags.path, token: flags.token }
    : { kind: 'image' as const, image: flags.image! };
  if (flags.image && (flags.branch || flags.path || flags.token)) throw new CliError('--branch, --path and --token go with --git');
  const r = await client.apps.create.mutate({
    name,
    source,
    port: flags.port ? intFlag(flags.port, '--port') : undefined,
    replicas: flags.replicas ? intFlag(flags.replicas, '--replicas') : undefined,
    domains: flags.domain,
    env: pairs(flags.env, '--env'),
    secrets: pairs(flags.secret, '--secret'),
    https: flags['no-https'] ? false : undefined,
    health: flags['health-path'] ? { path: flags['health-path'] } : undefined,
  });
  io().stdout.write(`${r.app.name}\n`);
  if (r.webhookSecret) io().stderr.write(`webhook secret (shown once): ${r.webhookSecret}\n`);
  if (flags.deploy) return deploy(client, 'deploy', [name]);
  return 0;
}

async function list(client: SkiffClient, argv: string[]): Promise<number> {
  const { flags } = parseFlags(argv, { quiet: { type: 'boolean', short: 'q', help: 'Only display app names' } }, { command: 'app ls' });
  const apps = await client.apps.list.query();
  if (flags.quiet) {
    io().stdout.write(apps.map((a) => `${a.name}\n`).join(''));
    return 0;
  }
  const rows = apps.map((a) => [
    a.name,
    a.source.kind === 'git' ? `${a.source.url}#${a.source.branch}` : a.source.image,
    a.current ? `#${a.current.number} ${a.current.status}` : a.deploying ? 'deploying' : 'not deployed',
    a.domains.join(',') || '-',
  ]);
  io().stdout.write(table(['NAME', 'SOURCE', 'DEPLOYMENT', 'DOMAINS'], rows));
  return 0;
}

/** deploy or roll back, then follow the deployment's log until it is live or failed (exit 1) */
async function deploy(client: SkiffClient, verb: 'deploy' | 'rollback', argv: string[]): Promise<number> {
  const { flags, args } = parseFlags(argv, { detach: { type: 'boolean', short: 'd', help: 'Queue the deployment and exit' } }, { command: `app ${verb}` });
  const [name, target] = args;
  if (!name || args.length > (verb === 'rollback' ? 2 : 1)) throw new CliError(`usage: skiff app ${verb} NAME${verb === 'rollback' ? ' [DEPLOYMENT]' : ''}`);
  const deployment =
    verb === 'deploy'
      ? await client.apps.deploy.mutate({ name })
      : await client.apps.rollback.mutate({ name, deployment: target === undefined ? undefined : /^\d+$/.test(target) ? Number(target) : target });
  io().stderr.write(`deployment #${deployment.number} (${deployment.id}) queued\n`);
  if (flags.detach) return 0;
  let shown = 0;
  for (;;) {
    const d = await client.apps.deployment.query({ name, deployment: deployment.id });
    io().stdout.write(d.log.slice(shown));
    shown = d.log.length;
    if (d.status === 'live') return 0;
    if (d.status === 'failed') {
      io().stderr.write(`skiff: deployment #${d.number} failed: ${d.error ?? 'unknown error'}\n`);
      return 1;
    }
    await new Promise((r) => setTimeout(r, 500));
  }
}
