import { groupHelpFor } from '../help.js';
import { io } from '../io.js';
import { oneOf, parseFlags } from '../args.js';
import type { SkiffClient } from '../client.js';
import { humanBinary } from '../format.js';
import { CliError } from '../errors.js';
import { EVENT_FILTER_KEYS, type EventFilterKey, eventTimeNs, InvalidEventTime } from '../../event-query.js';
import { dfCommand } from './system-df.js';
import { eventStruct, eventTemplate, renderInfo } from '../system-format.js';

export async function infoCommand(client: SkiffClient, argv: string[]): Promise<number> {
  const { flags } = parseFlags(argv, { format: { type: 'string', short: 'f' } }, { command: 'info' });
  const i = await client.system.info.query();
  if (flags.format) {
    renderInfo(flags.format, i, (t) => io().stdout.write(t));
    return 0;
  }
  io().stdout.write(
    [
      `Containers: ${i.containers}`,
      ` Running: ${i.containersRunning}`,
      ` Paused: ${i.containersPaused}`,
      ` Stopped: ${i.containersStopped}`,
      `Images: ${i.images}`,
      `Server Version: ${i.version}`,
      `Storage Driver: overlay`,
      `Logging Driver: json-file`,
      `Cgroup Version: ${i.cgroupVersion}`,
      `Kernel Version: ${i.kernel}`,
      `Operating System: ${i.os}`,
      `CPUs: ${i.cpus}`,
      `Total Memory: ${humanBinary(i.memTotal)}`,
      `Skiff Root Dir: ${i.root}`,
      '',
    ].join('\n'),
  );
  return 0;
}

export async function versionCommand(client: SkiffClient | undefined, clientVersion: string): Promise<number> {
  io().stdout.write(`Client:\n Version:    ${clientVersion}\n Node:       ${process.version}\n\n`);
  if (!client) return 0;
  const v = await client.system.version.query();
  io().stdout.write(`Server: Skiff agent\n Version:    ${v.version}\n API:        ${v.apiVersion}\n Node:       ${v.node}\n OS/Arch:    ${v.os}/${v.arch}\n`);
  return 0;
}

/** `skiff system df|prune|events` */
export async function systemCommand(client: SkiffClient, argv: string[]): Promise<number> {
  const [sub, ...rest] = argv;
  const help = groupHelpFor('system', sub);
  if (help) throw help;
  if (sub === 'df') return dfCommand(client, rest);
  if (sub === 'prune') {
    const { flags } = parseFlags(
      rest,
      { volumes: { type: 'boolean' }, force: { type: 'boolean', short: 'f' }, all: { type: 'boolean', short: 'a' } },
      { command: 'system prune' },
    );
    const r = await client.system.prune.mutate({ volumes: !!flags.volumes });
    io().stdout.write(
      `Deleted Containers:\n${r.containers.map((c) => `${c}\n`).join('')}Deleted Networks:\n${r.networks.map((n) => `${n}\n`).join('')}Deleted Images:\n${r.images.map((i) => `${i}\n`).join('')}${flags.volumes ? `Deleted Volumes:\n${r.volumes.map((v) => `${v}\n`).join('')}` : ''}`,
    );
    return 0;
  }
  if (sub === 'events') return eventsCommand(client, rest, 'system events');
  throw new CliError('usage: skiff system df|prune|events');
}

/** `key=value` filters, grouped by key as docker's `--filter` (unknown keys refused, as dockerd does) */
function eventFilters(given: string[]): Partial<Record<EventFilterKey, string[]>> {
  const filters: Partial<Record<EventFilterKey, string[]>> = {};
  for (const f of given) {
    const eq = f.indexOf('=');
    if (eq < 1) throw new CliError(`bad format of filter (expected name=value): ${f}`);
    const key = f.slice(0, eq);
    if (!(EVENT_FILTER_KEYS as readonly string[]).includes(key)) throw new CliError(`invalid filter '${key}' (one of ${EVENT_FILTER_KEYS.join(', ')})`);
    (filters[key as EventFilterKey] ??= []).push(f.slice(eq + 1));
  }
  return filters;
}

function eventTime(v: string | undefined, flag: string): number | undefined {
  try {
    return eventTimeNs(v);
  } catch (e) {
    if (e instanceof InvalidEventTime) throw new CliError(`${flag}: ${e.message}`);
    throw e;
  }
}

/**
 * `skiff events [--filter k=v]… [--since T] [--until T]`: lifecycle events as they happen,
 * filtered as `docker events` does; `--since`/`--until` (a duration ago like `10m`, unix
 * seconds or a date) replay the kept events of that window, and `--until` ends the stream
 */
export async function eventsCommand(client: SkiffClient, argv: string[], command = 'events'): Promise<number> {
  const { flags } = parseFlags(
    argv,
    { filter: { type: 'string', short: 'f', multiple: true }, format: { type: 'string' }, since: { type: 'string' }, until: { type: 'string' } },
    { command },
  );
  const filters = eventFilters(flags.filter ?? []);
  for (const t of filters.type ?? []) oneOf(['container', 'image', 'volume', 'network'], t, '--filter type');
  const tmpl = flags.format ? eventTemplate(flags.format) : undefined;
  const since = eventTime(flags.since, '--since');
  const until = eventTime(flags.until, '--until');
  await new Promise<void>((resolve, reject) => {
    client.system.events.subscribe(
      { filters, since, until },
      {
        onData(e) {
          if (tmpl) io().stdout.write(`${tmpl.execute(eventStruct(e))}\n`);
          else {
            const attrs = Object.entries(e.attributes)
              .map(([k, v]) => `${k}=${v}`)
              .join(', ');
            io().stdout.write(`${new Date(e.time / 1e6).toISOString()} ${e.type} ${e.action} ${e.id}${attrs ? ` (${attrs})` : ''}\n`);
          }
        },
        onError: reject,
        onComplete: resolve,
      },
    );
  });
  return 0;
}
