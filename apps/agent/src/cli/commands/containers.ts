import { io } from '../io.js';
import type { ContainerStats, ContainerSummary } from '@skiff/runtime';
import { parseArgs, parseNumber, type FlagSpec } from '../args.js';
import type { SkiffClient } from '../client.js';
import { CliError, messageOf } from '../errors.js';
import { humanBinary, humanSize, shortId, table, timeAgo, truncate } from '../format.js';
import { agentRequest } from '../agent-http.js';
import { demuxFrames } from '../log-demux.js';
import { LIMIT_FLAGS, limitsFromFlags } from '../limits.js';
import { streamSession } from '../stdio.js';

function need(args: string[], n: number, command: string, usage: string): void {
  if (args.length < n) throw new CliError(`"skiff ${command}" requires at least ${n} argument${n > 1 ? 's' : ''}.\nUsage: skiff ${command} ${usage}`);
}

/** Runs `fn` for every container named, printing each name; like Docker, one failure does not stop the rest. */
async function forEach(args: string[], fn: (id: string) => Promise<void>): Promise<number> {
  let code = 0;
  for (const id of args) {
    try {
      await fn(id);
      io().stdout.write(`${id}\n`);
    } catch (e) {
      io().stderr.write(`Error response from agent: ${messageOf(e)}\n`);
      code = 1;
    }
  }
  return code;
}

export async function startCommand(client: SkiffClient, argv: string[]): Promise<number> {
  const { flags, args } = parseArgs(
    argv,
    [
      { names: ['-a', '--attach'], kind: 'bool', key: 'attach' },
      { names: ['-i', '--interactive'], kind: 'bool', key: 'interactive' },
    ],
    { command: 'start' },
  );
  need(args, 1, 'start', '[OPTIONS] CONTAINER [CONTAINER...]');
  if (!flags.attach) return forEach(args, (id) => client.containers.start.mutate({ id }));
  if (args.length > 1) throw new CliError('you cannot start and attach multiple containers at once');
  await client.containers.start.mutate({ id: args[0]! });
  const { sessionId, tty } = await client.containers.attach.mutate({ id: args[0]! });
  return streamSession(client, sessionId, { tty, stdin: !!flags.interactive });
}

export async function stopCommand(client: SkiffClient, argv: string[], command: 'stop' | 'restart'): Promise<number> {
  const { flags, args } = parseArgs(
    argv,
    [
      { names: ['-t', '--time', '--timeout'], kind: 'string', key: 'time' },
      { names: ['-s', '--signal'], kind: 'string', key: 'signal' },
    ],
    { command },
  );
  need(args, 1, command, '[OPTIONS] CONTAINER [CONTAINER...]');
  const timeout = flags.time !== undefined ? parseNumber(flags.time as string, '--time', { integer: true }) : undefined;
  return forEach(args, (id) =>
    command === 'stop'
      ? client.containers.stop.mutate({ id, timeout, signal: flags.signal as string | undefined })
      : client.containers.restart.mutate({ id, timeout }),
  );
}

export async function simpleCommand(client: SkiffClient, argv: string[], command: 'pause' | 'unpause'): Promise<number> {
  const { args } = parseArgs(argv, [], { command });
  need(args, 1, command, 'CONTAINER [CONTAINER...]');
  return forEach(args, (id) => client.containers[command].mutate({ id }));
}

export async function killCommand(client: SkiffClient, argv: string[]): Promise<number> {
  const { flags, args } = parseArgs(argv, [{ names: ['-s', '--signal'], kind: 'string', key: 'signal' }], { command: 'kill' });
  need(args, 1, 'kill', '[OPTIONS] CONTAINER [CONTAINER...]');
  return forEach(args, (id) => client.containers.kill.mutate({ id, signal: flags.signal as string | undefined }));
}

export async function rmCommand(client: SkiffClient, argv: string[]): Promise<number> {
  const { flags, args } = parseArgs(
    argv,
    [
      { names: ['-f', '--force'], kind: 'bool', key: 'force' },
      { names: ['-v', '--volumes'], kind: 'bool', key: 'volumes' },
    ],
    { command: 'rm' },
  );
  need(args, 1, 'rm', '[OPTIONS] CONTAINER [CONTAINER...]');
  return forEach(args, (id) => client.containers.remove.mutate({ id, force: !!flags.force, volumes: !!flags.volumes }));
}

export async function renameCommand(client: SkiffClient, argv: string[]): Promise<number> {
  const { args } = parseArgs(argv, [], { command: 'rename' });
  if (args.length !== 2) throw new CliError('"skiff rename" requires exactly 2 arguments.\nUsage: skiff rename CONTAINER NEW_NAME');
  await client.containers.rename.mutate({ id: args[0]!, name: args[1]! });
  return 0;
}

const PS_FLAGS: FlagSpec[] = [
  { names: ['-a', '--all'], kind: 'bool', key: 'all' },
  { names: ['-q', '--quiet'], kind: 'bool', key: 'quiet' },
  { names: ['-f', '--filter'], kind: 'list', key: 'filter' },
  { names: ['--format'], kind: 'string', key: 'format' },
  { names: ['--no-trunc'], kind: 'bool', key: 'noTrunc' },
  { names: ['-n', '--last'], kind: 'string', key: 'last' },
  { names: ['-l', '--latest'], kind: 'bool', key: 'latest' },
];

export async function psCommand(client: SkiffClient, argv: string[]): Promise<number> {
  const { flags } = parseArgs(argv, PS_FLAGS, { command: 'ps' });
  const filters: { status?: ContainerSummary['state'][]; name?: string[]; label?: string[]; id?: string[]; health?: string[] } = {};
  for (const f of (flags.filter as string[] | undefined) ?? []) {
    const eq = f.indexOf('=');
    const key = f.slice(0, eq);
    const value = f.slice(eq + 1);
    if (eq < 0 || !['status', 'name', 'label', 'id', 'health'].includes(key)) throw new CliError(`invalid filter '${f}' (supported: status=, name=, label=, id=, health=)`);
    if (key === 'health' && !['starting', 'healthy', 'unhealthy', 'none'].includes(value)) throw new CliError(`invalid filter 'health=${value}' (starting, healthy, unhealthy or none)`);
    ((filters as Record<string, string[]>)[key] ??= []).push(value);
  }
  let list = await client.containers.list.query({ all: !!flags.all || !!flags.latest || !!flags.last, filters: filters as never });
  if (flags.latest) list = list.slice(0, 1);
  if (flags.last) list = list.slice(0, parseNumber(flags.last as string, '--last', { integer: true }));
  if (flags.quiet) {
    io().stdout.write(list.map((c) => `${flags.noTrunc ? c.id : c.id.slice(0, 12)}\n`).join(''));
    return 0;
  }
  if (flags.format === 'json' || flags.format === '{{json .}}') {
    for (const c of list) {
      io().stdout.write(
        `${JSON.stringify({ ID: c.id.slice(0, 12), Id: c.id, Names: c.names.map((n) => n.slice(1)).join(','), Image: c.image, Command: c.command, CreatedAt: new Date(c.created * 1000).toISOString(), State: c.state, Status: c.status, Labels: c.labels })}\n`,
      );
    }
    return 0;
  }
  if (flags.format) throw new CliError(`unsupported --format "${flags.format}" (use json)`);
  const rows = list.map((c) => [
    flags.noTrunc ? c.id : c.id.slice(0, 12),
    flags.noTrunc ? c.image : truncate(c.image, 40),
    JSON.stringify(flags.noTrunc ? c.command : truncate(c.command, 20)),
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
  const { args } = parseArgs(argv, [], { command: 'port' });
  need(args, 1, 'port', 'CONTAINER [PRIVATE_PORT[/PROTO]]');
  const info = (await client.containers.inspect.query({ id: args[0]! })) as { NetworkSettings: { Ports: Record<string, { HostIp: string; HostPort: string }[] | null> } };
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
  const { flags, args } = parseArgs(
    argv,
    [
      { names: ['--type'], kind: 'string', key: 'type' },
      { names: ['-f', '--format'], kind: 'string', key: 'format' },
    ],
    { command: 'inspect' },
  );
  need(args, 1, 'inspect', '[OPTIONS] NAME|ID [NAME|ID...]');
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
        out.push(await client.images.inspect.query({ ref: name }));
      } catch (e) {
        if (flags.type === 'image') throw e;
        out.push(await client.networks.inspect.query({ id: name }));
      }
    } catch {
      io().stderr.write(`Error: No such object: ${name}\n`);
      code = 1;
    }
  }
  if (flags.format) {
    // Go templates are not reproduced; `{{json .X.Y}}` and `{{.X.Y}}` paths are
    const path = /^\{\{\s*(?:json\s+)?\.([\w.]*)\s*\}\}$/.exec(flags.format as string)?.[1];
    if (path === undefined) throw new CliError(`unsupported --format "${flags.format}" (use {{.Field.Sub}} or {{json .Field}})`);
    for (const o of out) {
      const v = path ? path.split('.').reduce<unknown>((acc, k) => (acc as Record<string, unknown> | undefined)?.[k], o) : o;
      io().stdout.write(`${typeof v === 'string' ? v : JSON.stringify(v)}\n`);
    }
  } else {
    io().stdout.write(`${JSON.stringify(out, null, 4)}\n`);
  }
  return code;
}

export async function logsCommand(client: SkiffClient, argv: string[]): Promise<number> {
  const { flags, args } = parseArgs(
    argv,
    [
      { names: ['-f', '--follow'], kind: 'bool', key: 'follow' },
      { names: ['-n', '--tail'], kind: 'string', key: 'tail' },
      { names: ['--since'], kind: 'string', key: 'since' },
      { names: ['--until'], kind: 'string', key: 'until' },
      { names: ['-t', '--timestamps'], kind: 'bool', key: 'timestamps' },
    ],
    { command: 'logs' },
  );
  need(args, 1, 'logs', '[OPTIONS] CONTAINER');
  const tail = flags.tail === undefined || flags.tail === 'all' ? undefined : parseNumber(flags.tail as string, '--tail', { integer: true });
  const options = {
    follow: !!flags.follow,
    tail,
    since: flags.since ? parseTime(flags.since as string) : undefined,
    until: flags.until ? parseTime(flags.until as string) : undefined,
  };
  const q = new URLSearchParams();
  for (const [k, v] of Object.entries({ ...options, timestamps: !!flags.timestamps })) if (v !== undefined && v !== false) q.set(k, v === true ? '1' : String(v));
  // the byte stream, not tRPC: JSON per batch cost more than the bytes it carried
  const res = await agentRequest('GET', `/api/containers/${encodeURIComponent(args[0]!)}/logs?${q}`);
  await demuxFrames(res, io().stdout, io().stderr);
  return 0;
}

/** every line of a log chunk with its time in front, as `docker logs -t` prints it */
export function stamped(time: string, text: string): string {
  return text ? text.split(/(?<=\n)/).map((l) => `${time} ${l}`).join('') : '';
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

export async function execCommand(client: SkiffClient, argv: string[]): Promise<number> {
  const { flags, args } = parseArgs(
    argv,
    [
      { names: ['-i', '--interactive'], kind: 'bool', key: 'interactive' },
      { names: ['-t', '--tty'], kind: 'bool', key: 'tty' },
      { names: ['-e', '--env'], kind: 'list', key: 'env' },
      { names: ['-w', '--workdir'], kind: 'string', key: 'workdir' },
      { names: ['-u', '--user'], kind: 'string', key: 'user' },
      { names: ['--privileged'], kind: 'bool', key: 'privileged' },
      { names: ['-d', '--detach'], kind: 'bool', key: 'detach' },
    ],
    { command: 'exec', stopAtPositional: true },
  );
  need(args, 2, 'exec', '[OPTIONS] CONTAINER COMMAND [ARG...]');
  const [id, ...cmd] = args;
  const spec = {
    cmd,
    tty: !!flags.tty,
    stdin: !!flags.interactive,
    env: (flags.env as string[] | undefined) ?? undefined,
    workingDir: flags.workdir as string | undefined,
    user: flags.user as string | undefined,
    privileged: !!flags.privileged,
  };
  if (flags.detach) {
    await client.containers.execDetached.mutate({ id: id!, spec });
    return 0;
  }
  const { sessionId } = await client.containers.exec.mutate({ id: id!, spec });
  return streamSession(client, sessionId, { tty: !!flags.tty, stdin: !!flags.interactive });
}

export async function attachCommand(client: SkiffClient, argv: string[]): Promise<number> {
  const { flags, args } = parseArgs(argv, [{ names: ['--no-stdin'], kind: 'bool', key: 'noStdin' }], { command: 'attach' });
  need(args, 1, 'attach', '[OPTIONS] CONTAINER');
  const info = (await client.containers.inspect.query({ id: args[0]! })) as { Config: { OpenStdin: boolean } };
  const { sessionId, tty } = await client.containers.attach.mutate({ id: args[0]! });
  return streamSession(client, sessionId, { tty, stdin: info.Config.OpenStdin && !flags.noStdin });
}

export async function topCommand(client: SkiffClient, argv: string[]): Promise<number> {
  const { args } = parseArgs(argv, [], { command: 'top', stopAtPositional: true });
  need(args, 1, 'top', 'CONTAINER [ps OPTIONS]');
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
  const { flags, args } = parseArgs(
    argv,
    [
      { names: ['--no-stream'], kind: 'bool', key: 'noStream' },
      { names: ['-a', '--all'], kind: 'bool', key: 'all' },
      { names: ['--format'], kind: 'string', key: 'format' },
    ],
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
    for (const c of wanted) {
      const s = await client.containers.stats.query({ id: c.id });
      if (flags.format === 'json') io().stdout.write(`${JSON.stringify({ ID: c.id.slice(0, 12), Name: c.names[0]!.slice(1), ...s })}\n`);
      else rows.push(statsRow(c.id, c.names[0]!.slice(1), s));
    }
    if (flags.format !== 'json') {
      if (!flags.noStream && io().stdout.isTTY) io().stdout.write('\x1b[2J\x1b[H');
      io().stdout.write(table(STATS_HEADERS, rows));
    }
    if (flags.noStream) return 0;
    await new Promise((r) => setTimeout(r, 1000));
  }
}

export async function waitCommand(client: SkiffClient, argv: string[]): Promise<number> {
  const { args } = parseArgs(argv, [], { command: 'wait' });
  need(args, 1, 'wait', 'CONTAINER [CONTAINER...]');
  let code = 0;
  for (const id of args) {
    try {
      const r = await new Promise<{ statusCode: number }>((resolve, reject) => {
        const sub = client.containers.wait.subscribe(
          { id },
          {
            onData: (d) => {
              sub.unsubscribe();
              resolve(d);
            },
            onError: reject,
          },
        );
      });
      io().stdout.write(`${r.statusCode}\n`);
    } catch (e) {
      io().stderr.write(`Error response from agent: ${messageOf(e)}\n`);
      code = 1;
    }
  }
  return code;
}

export async function diffCommand(client: SkiffClient, argv: string[]): Promise<number> {
  const { args } = parseArgs(argv, [], { command: 'diff' });
  need(args, 1, 'diff', 'CONTAINER');
  const changes = await client.containers.diff.query({ id: args[0]! });
  io().stdout.write(changes.map((c) => `${'CAD'[c.kind]} ${c.path}\n`).join(''));
  return 0;
}

export { shortId };

/** `skiff commit [-a AUTHOR] [-m MSG] [-c CHANGE]... [--pause=false] CONTAINER [REPO[:TAG]]` */
export async function commitCommand(client: SkiffClient, argv: string[]): Promise<number> {
  const { flags, args } = parseArgs(
    argv,
    [
      { names: ['-a', '--author'], kind: 'string', key: 'author' },
      { names: ['-m', '--message'], kind: 'string', key: 'message' },
      { names: ['-c', '--change'], kind: 'list', key: 'change' },
      { names: ['-p', '--pause'], kind: 'bool', key: 'pause' },
    ],
    { command: 'commit' },
  );
  const usage = 'Usage: skiff commit [OPTIONS] CONTAINER [REPOSITORY[:TAG]]';
  if (args.length < 1 || args.length > 2) throw new CliError(`"skiff commit" requires at least 1 and at most 2 arguments.\n${usage}`);
  const { id } = await client.containers.commit.mutate({
    id: args[0]!,
    ref: args[1],
    author: flags.author as string | undefined,
    message: flags.message as string | undefined,
    changes: flags.change as string[] | undefined,
    pause: flags.pause !== false,
  });
  io().stdout.write(`${id}\n`);
  return 0;
}

/** `skiff update [OPTIONS] CONTAINER...`: new limits or restart policy; prints each name, as docker does */
export async function updateCommand(client: SkiffClient, argv: string[]): Promise<number> {
  const { flags, args } = parseArgs(argv, LIMIT_FLAGS, { command: 'update' });
  need(args, 1, 'update', '[OPTIONS] CONTAINER [CONTAINER...]');
  const spec = limitsFromFlags(flags);
  if (!Object.keys(spec).length) throw new CliError('you must provide one or more flags when using this command');
  return forEach(args, async (id) => {
    const { warnings } = await client.containers.update.mutate({ id, spec });
    for (const w of warnings) io().stderr.write(`${w}\n`);
  });
}
