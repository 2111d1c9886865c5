import { io } from '../io.js';
import type { ContainerSummary } from '@skiff/runtime';
import { stringify } from 'yaml';
import { parseFlags } from '../args.js';
import type { SkiffClient } from '../client.js';
import { composeRequest } from '../compose-files.js';
import { CliError } from '../errors.js';
import { table, timeAgo, truncate } from '../format.js';
import { renderListing } from '../listing.js';
import { COMPOSE_KIND, composeRow } from '../listing-compose.js';
import { formatPorts, stamped } from './container-views.js';
import { execCommand } from './containers.js';

const USAGE = `Usage: skiff compose [-f FILE]... [-p PROJECT] [--env-file FILE] [--profile NAME] COMMAND

Commands:
  up [-d] [--build] [--force-recreate] [--remove-orphans] [SERVICE...]
  down [-v] [--remove-orphans]
  ps [-a] [-q] [SERVICE...]      logs [-f] [-t] [-n N] [SERVICE...]
  start|stop|restart [SERVICE...] pull [SERVICE...]
  config [--services]            exec [-T] [-u USER] [-w DIR] [-e K=V] SERVICE COMMAND...
  ls`;

type ComposeEvent = { kind: string; name: string; status: string; detail?: string };
type Global = { files: string[]; projectName?: string; envFiles: string[]; profiles: string[]; projectDirectory?: string };

const SERVICE_LABEL = 'com.docker.compose.service';
const NUMBER_LABEL = 'com.docker.compose.container-number';

function printEvent(e: ComposeEvent): void {
  if (e.kind === 'Warning') {
    io().stderr.write(`WARN ${e.status}\n`);
    return;
  }
  if (e.detail !== undefined) {
    io().stdout.write(e.detail.endsWith('\n') ? e.detail : `${e.detail}\n`);
    return;
  }
  io().stdout.write(` ${e.status === 'Error' ? '✘' : '✔'} ${e.kind} ${e.name}  ${e.status}\n`);
}

/** runs a progress subscription to its end, printing each line */
function follow(subscribe: (handlers: { onData: (d: unknown) => void; onError: (e: unknown) => void }) => { unsubscribe(): void }): Promise<void> {
  return new Promise((resolve, reject) => {
    const sub = subscribe({
      onData(d) {
        const item = d as { event?: ComposeEvent; done?: boolean };
        if (item.event) printEvent(item.event);
        if (item.done) {
          sub.unsubscribe();
          resolve();
        }
      },
      onError: reject,
    });
  });
}

/** the project a command acts on: `-p`, or the name the agent derives from the compose file */
async function projectName(client: SkiffClient, g: Global): Promise<string> {
  const named = g.projectName ?? io().env.COMPOSE_PROJECT_NAME;
  if (named) return named;
  return (await client.compose.config.query(await composeRequest(g))).name;
}

function containerName(c: ContainerSummary): string {
  return c.names[0]!.slice(1);
}

/** every selected container's log stream, each line prefixed with its container name, Compose style */
async function logs(client: SkiffClient, containers: ContainerSummary[], opts: { follow: boolean; timestamps: boolean; tail?: number }): Promise<void> {
  const width = Math.max(...containers.map((c) => containerName(c).length));
  await Promise.all(
    containers.map(
      (c) =>
        new Promise<void>((resolve, reject) => {
          const prefix = `${containerName(c).padEnd(width)}  | `;
          let pending = '';
          const sub = client.containers.logChunks.subscribe(
            { id: c.id, options: { follow: opts.follow, tail: opts.tail } },
            {
              onData(batch) {
                const text = pending + batch.map((ch) => (opts.timestamps ? stamped(ch.time, ch.text) : ch.text)).join('');
                const lines = text.split('\n');
                pending = lines.pop()!;
                if (lines.length) io().stdout.write(lines.map((l) => `${prefix}${l}\n`).join(''));
              },
              onError: reject,
              onComplete() {
                if (pending) io().stdout.write(`${prefix}${pending}\n`);
                sub.unsubscribe();
                resolve();
              },
            },
          );
        }),
    ),
  );
}

/** `skiff compose …` */
export async function composeCommand(client: SkiffClient, argv: string[]): Promise<number> {
  const { flags, args } = parseFlags(
    argv,
    {
      file: { type: 'string', short: 'f', multiple: true },
      'project-name': { type: 'string', short: 'p' },
      'env-file': { type: 'string', multiple: true },
      profile: { type: 'string', multiple: true },
      'project-directory': { type: 'string' },
    },
    { command: 'compose', stopAtPositional: true },
  );
  const [sub, ...rest] = args;
  if (!sub) throw new CliError(USAGE);
  const g: Global = {
    files: flags.file ?? [],
    projectName: flags['project-name'],
    envFiles: flags['env-file'] ?? [],
    profiles: flags.profile ?? [],
    projectDirectory: flags['project-directory'],
  };

  switch (sub) {
    case 'up': {
      const { flags: f, args: services } = parseFlags(
        rest,
        {
          detach: { type: 'boolean', short: 'd' },
          build: { type: 'boolean' },
          'force-recreate': { type: 'boolean' },
          'remove-orphans': { type: 'boolean' },
        },
        { command: 'compose up' },
      );
      const req = await composeRequest(g);
      await follow((h) =>
        client.compose.up.subscribe({ ...req, services, build: !!f.build, forceRecreate: !!f['force-recreate'], removeOrphans: !!f['remove-orphans'] }, h),
      );
      if (f.detach) return 0;
      // attached: follow the logs until Ctrl-C, then stop the project like Compose does
      const name = (await client.compose.config.query(req)).name;
      const cs = await client.compose.ps.query({ projectName: name, services: services.length ? services : undefined });
      let stopping: Promise<void> | undefined;
      process.once('SIGINT', () => {
        io().stdout.write('Gracefully stopping... (press Ctrl+C again to force)\n');
        process.once('SIGINT', () => process.exit(130));
        stopping = client.compose.stop.mutate({ projectName: name, services: services.length ? services : undefined });
      });
      await logs(client, cs, { follow: true, timestamps: false });
      // the logs end when the containers stop: by Ctrl-C (exit 130, as Compose) or on their own
      if (!stopping) return 0;
      await stopping;
      return 130;
    }
    case 'down': {
      const { flags: f } = parseFlags(
        rest,
        {
          volumes: { type: 'boolean', short: 'v' },
          'remove-orphans': { type: 'boolean' },
        },
        { command: 'compose down' },
      );
      const name = await projectName(client, g);
      await follow((h) => client.compose.down.subscribe({ projectName: name, volumes: !!f.volumes }, h));
      return 0;
    }
    case 'ps': {
      const { flags: f, args: services } = parseFlags(
        rest,
        {
          all: { type: 'boolean', short: 'a' },
          quiet: { type: 'boolean', short: 'q' },
          services: { type: 'boolean' },
          format: { type: 'string' },
          'no-trunc': { type: 'boolean' },
        },
        { command: 'compose ps' },
      );
      const name = await projectName(client, g);
      const cs = await client.compose.ps.query({ projectName: name, all: !!f.all, services: services.length ? services : undefined });
      if (f.quiet) io().stdout.write(cs.map((c) => `${c.id}\n`).join(''));
      else if (f.services) io().stdout.write([...new Set(cs.map((c) => c.labels[SERVICE_LABEL]))].map((s) => `${s}\n`).join(''));
      else if (f.format)
        io().stdout.write(
          renderListing(
            f.format,
            cs.map((c) => composeRow(c, !f['no-trunc'])),
            COMPOSE_KIND,
          ),
        );
      else
        io().stdout.write(
          table(
            ['NAME', 'IMAGE', 'COMMAND', 'SERVICE', 'CREATED', 'STATUS', 'PORTS'],
            cs.map((c) => [
              containerName(c),
              c.image,
              `"${truncate(c.command, 20)}"`,
              c.labels[SERVICE_LABEL] ?? '',
              timeAgo(c.created * 1000),
              c.status,
              formatPorts(c.ports),
            ]),
          ),
        );
      return 0;
    }
    case 'logs': {
      const { flags: f, args: services } = parseFlags(
        rest,
        {
          follow: { type: 'boolean', short: 'f' },
          timestamps: { type: 'boolean', short: 't' },
          tail: { type: 'string', short: 'n' },
          'no-log-prefix': { type: 'boolean' },
        },
        { command: 'compose logs' },
      );
      const name = await projectName(client, g);
      const cs = await client.compose.ps.query({ projectName: name, all: true, services: services.length ? services : undefined });
      if (!cs.length) return 0;
      const tail = f.tail === undefined || f.tail === 'all' ? undefined : Number(f.tail);
      if (tail !== undefined && !Number.isInteger(tail)) throw new CliError(`invalid --tail "${f.tail}"`);
      await logs(client, cs, { follow: !!f.follow, timestamps: !!f.timestamps, tail });
      return 0;
    }
    case 'start':
    case 'stop':
    case 'restart': {
      const { args: services } = parseFlags(rest, { timeout: { type: 'string', short: 't' } }, { command: `compose ${sub}` });
      const name = await projectName(client, g);
      await client.compose[sub].mutate({ projectName: name, services: services.length ? services : undefined });
      return 0;
    }
    case 'pull': {
      const { args: services } = parseFlags(rest, { quiet: { type: 'boolean', short: 'q' } }, { command: 'compose pull' });
      const req = await composeRequest(g);
      await follow((h) => client.compose.pull.subscribe({ ...req, services: services.length ? services : undefined }, h));
      return 0;
    }
    case 'config': {
      const { flags: f } = parseFlags(
        rest,
        {
          services: { type: 'boolean' },
          format: { type: 'string' },
          quiet: { type: 'boolean', short: 'q' },
        },
        { command: 'compose config' },
      );
      const project = await client.compose.config.query(await composeRequest(g));
      if (f.quiet) return 0;
      if (f.services)
        io().stdout.write(
          Object.keys(project.services)
            .map((s) => `${s}\n`)
            .join(''),
        );
      else io().stdout.write(f.format === 'json' ? `${JSON.stringify(project, null, 2)}\n` : stringify(project));
      return 0;
    }
    case 'exec': {
      // `compose exec` has a TTY by default; -T turns it off. The rest is `skiff exec`.
      const { flags: f, args: execArgs } = parseFlags(
        rest,
        {
          'no-TTY': { type: 'boolean', short: 'T' },
          detach: { type: 'boolean', short: 'd' },
          user: { type: 'string', short: 'u' },
          workdir: { type: 'string', short: 'w' },
          env: { type: 'string', short: 'e', multiple: true },
          index: { type: 'string' },
        },
        { command: 'compose exec', stopAtPositional: true },
      );
      const [service, ...cmd] = execArgs;
      if (!service || !cmd.length)
        throw new CliError('"skiff compose exec" requires at least 2 arguments.\nUsage: skiff compose exec [OPTIONS] SERVICE COMMAND [ARGS...]');
      const name = await projectName(client, g);
      const index = f.index ?? '1';
      const target = (await client.compose.ps.query({ projectName: name, services: [service] })).find((c) => c.labels[NUMBER_LABEL] === index);
      if (!target) throw new CliError(`service "${service}" is not running`, 1);
      const tty = !f['no-TTY'] && io().stdin.isTTY;
      const passthrough = [
        ...(tty ? ['-it'] : ['-i']),
        ...(f.detach ? ['-d'] : []),
        ...(f.user ? ['-u', f.user] : []),
        ...(f.workdir ? ['-w', f.workdir] : []),
        ...(f.env ?? []).flatMap((e) => ['-e', e]),
      ];
      return execCommand(client, [...passthrough, target.id, ...cmd]);
    }
    case 'ls': {
      parseFlags(rest, {}, { command: 'compose ls' });
      const projects = await client.compose.ls.query();
      io().stdout.write(
        table(
          ['NAME', 'STATUS', 'CONFIG FILES'],
          projects.map((p) => [p.name, p.status, p.workingDir]),
        ),
      );
      return 0;
    }
    default:
      throw new CliError(`unknown compose command "${sub}"\n${USAGE}`);
  }
}
