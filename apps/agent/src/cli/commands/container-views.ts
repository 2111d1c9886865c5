import { io } from '../io.js';
import type { ContainerStats, ContainerSummary } from '@skiff/runtime';
import { needArgs, parseFlags, parseNumber } from '../args.js';
import type { SkiffClient } from '../client.js';
import { CliError } from '../errors.js';
import { humanBinary, humanSize, table, timeAgo, truncate } from '../format.js';
import { agentRequest } from '../agent-http.js';
import { demuxFrames } from '../log-demux.js';
import { imageJson } from '../../docker-api/image-json.js';
import { dockerContainerSummary } from '../../docker-json/container-summary.js';
import { renderListing } from '../listing.js';
import { CONTAINER_KIND, containerRow } from '../listing-rows.js';
import { STATS_KIND, statsRow as statsContext } from '../listing-more.js';
import { renderInspect } from '../inspect-format.js';

const PS_FILTER_KEYS = ['status', 'name', 'label', 'id', 'health'] as const;
type PsFilters = Partial<Record<(typeof PS_FILTER_KEYS)[number], string[]>>;
const isPsFilterKey = (k: string): k is (typeof PS_FILTER_KEYS)[number] => (PS_FILTER_KEYS as readonly string[]).includes(k);

export const QUIET_WINS = 'WARNING: Ignoring custom format, because both --format and --quiet are set.\n';

export async function psCommand(client: SkiffClient, argv: string[]): Promise<number> {
  const { flags } = parseFlags(
    argv,
    {
      all: { type: 'boolean', short: 'a' },
      quiet: { type: 'boolean', short: 'q' },
      filter: { type: 'string', short: 'f', multiple: true },
      format: { type: 'string' },
      'no-trunc': { type: 'boolean' },
      last: { type: 'string', short: 'n' },
      latest: { type: 'boolean', short: 'l' },
    },
    { command: 'ps' },
  );
  const filters: PsFilters = {};
  for (const f of flags.filter ?? []) {
    const eq = f.indexOf('=');
    const key = f.slice(0, eq);
    const value = f.slice(eq + 1);
    if (eq < 0 || !isPsFilterKey(key)) throw new CliError(`invalid filter '${f}' (supported: status=, name=, label=, id=, health=)`);
    if (key === 'health' && !['starting', 'healthy', 'unhealthy', 'none'].includes(value))
      throw new CliError(`invalid filter 'health=${value}' (starting, healthy, unhealthy or none)`);
    (filters[key] ??= []).push(value);
  }
  const noTrunc = !!flags['no-trunc'];
  // the agent's zod input checks the filter values (states, health)
  let list = await client.containers.list.query({ all: !!flags.all || !!flags.latest || !!flags.last, filters: filters as never });
  if (flags.latest) list = list.slice(0, 1);
  if (flags.last) list = list.slice(0, parseNumber(flags.last, '--last', { integer: true }));
  // docker: -q wins over a custom format, with a warning
  if (flags.quiet && flags.format && flags.format.trim() !== 'table') io().stderr.write(QUIET_WINS);
  else if (flags.format && flags.format.trim() !== 'table') {
    io().stdout.write(
      renderListing(
        flags.format,
        list.map((c) => containerRow(dockerContainerSummary(c), !noTrunc)),
        CONTAINER_KIND,
      ),
    );
    return 0;
  }
  if (flags.quiet) {
    io().stdout.write(list.map((c) => `${noTrunc ? c.id : c.id.slice(0, 12)}\n`).join(''));
    return 0;
  }
  const rows = list.map((c) => [
    noTrunc ? c.id : c.id.slice(0, 12),
    noTrunc ? c.image : truncate(c.image, 40),
    JSON.stringify(noTrunc ? c.command : truncate(c.command, 20)),
    timeAgo(c.created * 1000),
    c.status,
    formatPorts(c.ports),
    c.names.map((n) => n.slice(1)).join(','),
  ]);
  io().stdout.write(table(['CONTAINER ID', 'IMAGE', 'COMMAND', 'CREATED', 'STATUS', 'PORTS', 'NAMES'], rows));
  return 0;
}

/** Docker's PORTS column: "127.0.0.1:8080->80/tcp, 443/tcp" */
export function formatPorts(ports: ContainerSummary['ports']): string {
  return ports.map((p) => (p.publicPort ? `${p.ip ?? '0.0.0.0'}:${p.publicPort}->${p.privatePort}/${p.type}` : `${p.privatePort}/${p.type}`)).join(', ');
}

export async function portCommand(client: SkiffClient, argv: string[]): Promise<number> {
  const { args } = parseFlags(argv, {}, { command: 'port' });
  needArgs(args, 1, 'port', 'CONTAINER [PRIVATE_PORT[/PROTO]]');
  const info = await client.containers.inspect.query({ id: args[0]! });
  const want = args[1] ? (args[1].includes('/') ? args[1] : `${args[1]}/tcp`) : undefined;
  let found = false;
  for (const [key, binds] of Object.entries(info.NetworkSettings.Ports ?? {})) {
    if (want && key !== want) continue;
    for (const b of binds ?? []) {
      found = true;
      io().stdout.write(want ? `${b.HostIp}:${b.HostPort}\n` : `${key} -> ${b.HostIp}:${b.HostPort}\n`);
    }
  }
  if (want && !found) throw new CliError(`no public port '${want}' published for ${args[0]}`);
  return 0;
}

export async function inspectCommand(client: SkiffClient, argv: string[]): Promise<number> {
  const { flags, args } = parseFlags(argv, { type: { type: 'string' }, format: { type: 'string', short: 'f' } }, { command: 'inspect' });
  needArgs(args, 1, 'inspect', '[OPTIONS] NAME|ID [NAME|ID...]');
  const out: unknown[] = [];
  let code = 0;
  for (const name of args) {
    try {
      if (flags.type !== 'image') {
        try {
          out.push(await client.containers.inspect.query({ id: name }));
          continue;
        } catch (e) {
          if (flags.type === 'container') throw e;
        }
      }
      try {
        // Docker-shaped, as container inspect is: the Docker API's builder
        out.push(imageJson(await client.images.inspect.query({ ref: name })));
      } catch (e) {
        if (flags.type === 'image') throw e;
        out.push(await client.networks.inspect.query({ id: name }));
      }
    } catch {
      io().stderr.write(`Error: No such object: ${name}\n`);
      code = 1;
    }
  }
  renderInspect(flags.format, out, (t) => io().stdout.write(t));
  return code;
}

// every command takes the client; logs streams over the agent's HTTP API instead
export async function logsCommand(_client: SkiffClient, argv: string[]): Promise<number> {
  const { flags, args } = parseFlags(
    argv,
    {
      follow: { type: 'boolean', short: 'f' },
      tail: { type: 'string', short: 'n' },
      since: { type: 'string' },
      until: { type: 'string' },
      timestamps: { type: 'boolean', short: 't' },
    },
    { command: 'logs' },
  );
  needArgs(args, 1, 'logs', '[OPTIONS] CONTAINER');
  const tail = flags.tail === undefined || flags.tail === 'all' ? undefined : parseNumber(flags.tail, '--tail', { integer: true });
  const options = {
    follow: !!flags.follow,
    tail,
    since: flags.since ? parseTime(flags.since) : undefined,
    until: flags.until ? parseTime(flags.until) : undefined,
  };
  const q = new URLSearchParams();
  for (const [k, v] of Object.entries({ ...options, timestamps: !!flags.timestamps }))
    if (v !== undefined && v !== false) q.set(k, v === true ? '1' : String(v));
  // the byte stream, not tRPC: JSON per batch cost more than the bytes it carried
  const res = await agentRequest('GET', `/api/containers/${encodeURIComponent(args[0]!)}/logs?${q}`);
  await demuxFrames(res, io().stdout, io().stderr);
  return 0;
}

/** every line of a log chunk with its time in front, as `docker logs -t` prints it */
export function stamped(time: string, text: string): string {
  return text
    ? text
        .split(/(?<=\n)/)
        .map((l) => `${time} ${l}`)
        .join('')
    : '';
}

/** `--since 10m`, `--since 2024-01-01T00:00:00Z` or unix seconds */
function parseTime(v: string): number {
  const rel = /^(\d+(?:\.\d+)?)(s|m|h)$/.exec(v);
  if (rel) return Date.now() / 1000 - Number(rel[1]) * { s: 1, m: 60, h: 3600 }[rel[2] as 's'];
  if (/^\d+(\.\d+)?$/.test(v)) return Number(v);
  const t = Date.parse(v);
  if (Number.isNaN(t)) throw new CliError(`invalid time "${v}": use a duration like 10m, RFC 3339 or unix seconds`);
  return t / 1000;
}

export async function topCommand(client: SkiffClient, argv: string[]): Promise<number> {
  const { args } = parseFlags(argv, {}, { command: 'top', stopAtPositional: true });
  needArgs(args, 1, 'top', 'CONTAINER [ps OPTIONS]');
  const r = await client.containers.top.query({ id: args[0]!, psArgs: args.length > 1 ? args.slice(1).join(' ') : undefined });
  io().stdout.write(table(r.titles, r.processes));
  return 0;
}

function statsRow(id: string, name: string, s: ContainerStats): string[] {
  const memPct = s.memoryLimit ? (s.memoryUsage / s.memoryLimit) * 100 : 0;
  return [
    id.slice(0, 12),
    name,
    `${s.cpuPercent.toFixed(2)}%`,
    `${humanBinary(s.memoryUsage)} / ${humanBinary(s.memoryLimit)}`,
    `${memPct.toFixed(2)}%`,
    `${humanSize(s.netRx)} / ${humanSize(s.netTx)}`,
    `${humanSize(s.blockRead)} / ${humanSize(s.blockWrite)}`,
    String(s.pids),
  ];
}
const STATS_HEADERS = ['CONTAINER ID', 'NAME', 'CPU %', 'MEM USAGE / LIMIT', 'MEM %', 'NET I/O', 'BLOCK I/O', 'PIDS'];

export async function statsCommand(client: SkiffClient, argv: string[]): Promise<number> {
  const { flags, args } = parseFlags(
    argv,
    { 'no-stream': { type: 'boolean' }, all: { type: 'boolean', short: 'a' }, format: { type: 'string' } },
    { command: 'stats' },
  );
  for (;;) {
    const list = await client.containers.list.query({ all: !!flags.all });
    const wanted = args.length ? list.filter((c) => args.some((a) => c.id.startsWith(a) || c.names.includes(`/${a}`))) : list;
    if (args.length && wanted.length < args.length) {
      const missing = args.filter((a) => !wanted.some((c) => c.id.startsWith(a) || c.names.includes(`/${a}`)));
      throw new CliError(`no such container: ${missing.join(', ')}`);
    }
    const rows: string[][] = [];
    const contexts = [];
    const custom = flags.format && flags.format !== 'json';
    for (const c of wanted) {
      const s = await client.containers.stats.query({ id: c.id });
      const name = c.names[0]!.slice(1);
      if (flags.format === 'json') io().stdout.write(`${JSON.stringify({ ID: c.id.slice(0, 12), Name: name, ...s })}\n`);
      else if (custom) contexts.push(statsContext({ id: c.id, name, asGiven: args.find((a) => c.id.startsWith(a)) ?? name }, s));
      else rows.push(statsRow(c.id, name, s));
    }
    if (custom) {
      if (!flags['no-stream'] && io().stdout.isTTY) io().stdout.write('\x1b[2J\x1b[H');
      io().stdout.write(renderListing(flags.format!, contexts, STATS_KIND));
    } else if (flags.format !== 'json') {
      if (!flags['no-stream'] && io().stdout.isTTY) io().stdout.write('\x1b[2J\x1b[H');
      io().stdout.write(table(STATS_HEADERS, rows));
    }
    if (flags['no-stream']) return 0;
    await new Promise((r) => setTimeout(r, 1000));
  }
}
