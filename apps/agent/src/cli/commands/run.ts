import { io } from '../io.js';
import { readFileSync } from 'node:fs';
import { resolve as resolvePath } from 'node:path';
import {
  parseDuration,
  parseMountFlag,
  parsePublishFlag,
  parseSysctlFlag,
  parseTmpfsFlag,
  parseUlimitFlag,
  parseVolumeFlag,
  validateUlimits,
  type ContainerCreateSpec,
  type MountRequest,
} from '@skiff/runtime';
import { parseBytes, parseFlags, parseNumber, type FlagDefs, type Flags } from '../args.js';
import type { SkiffClient } from '../client.js';
import { CliError, isNotFound } from '../errors.js';
import { LIMIT_FLAGS, limitsFromFlags } from '../limits.js';
import { streamSession } from '../stdio.js';
import { pullImage } from './images.js';

export const CREATE_FLAGS = {
  detach: { type: 'boolean', short: 'd' },
  interactive: { type: 'boolean', short: 'i' },
  tty: { type: 'boolean', short: 't' },
  rm: { type: 'boolean' },
  name: { type: 'string' },
  env: { type: 'string', short: 'e', multiple: true },
  'env-file': { type: 'string', multiple: true },
  workdir: { type: 'string', short: 'w' },
  user: { type: 'string', short: 'u' },
  entrypoint: { type: 'string' },
  hostname: { type: 'string', short: 'h' },
  ...LIMIT_FLAGS,
  init: { type: 'boolean' },
  'read-only': { type: 'boolean' },
  cgroupns: { type: 'string' },
  'cap-add': { type: 'string', multiple: true },
  'cap-drop': { type: 'string', multiple: true },
  label: { type: 'string', short: 'l', multiple: true },
  network: { type: 'string', aliases: ['net'] },
  'stop-signal': { type: 'string' },
  'stop-timeout': { type: 'string' },
  pull: { type: 'string' },
  volume: { type: 'string', short: 'v', multiple: true },
  mount: { type: 'string', multiple: true },
  tmpfs: { type: 'string', multiple: true },
  'shm-size': { type: 'string' },
  ulimit: { type: 'string', multiple: true },
  sysctl: { type: 'string', multiple: true },
  expose: { type: 'string', multiple: true },
  'volumes-from': { type: 'string', multiple: true },
  publish: { type: 'string', short: 'p', multiple: true },
  'publish-all': { type: 'boolean', short: 'P' },
  ip: { type: 'string' },
  'network-alias': { type: 'string', multiple: true, aliases: ['alias'] },
  link: { type: 'string', multiple: true },
  dns: { type: 'string', multiple: true },
  'add-host': { type: 'string', multiple: true },
  'mac-address': { type: 'string' },
  'health-cmd': { type: 'string' },
  'health-interval': { type: 'string' },
  'health-timeout': { type: 'string' },
  'health-retries': { type: 'string' },
  'health-start-period': { type: 'string' },
  'health-start-interval': { type: 'string' },
  'no-healthcheck': { type: 'boolean' },
} as const satisfies FlagDefs;
export type CreateFlags = Flags<typeof CREATE_FLAGS>;

/** `--cgroupns host|private` (Docker's flag; empty is the default, private) */
function cgroupnsFlag(v: string | undefined): ContainerCreateSpec['cgroupns'] {
  if (!v) return undefined;
  if (v === 'host' || v === 'private') return v;
  throw new CliError(`invalid cgroup namespace mode: ${v}: use "host" or "private"`);
}

/**
 * `--health-*` / `--no-healthcheck` as docker's CLI turns them into a HealthConfig: only
 * the flags given are set, so the image's HEALTHCHECK fills the rest on the agent.
 */
function healthFromFlags(f: CreateFlags): ContainerCreateSpec['healthcheck'] {
  const duration = (flag: 'health-interval' | 'health-timeout' | 'health-start-period' | 'health-start-interval') => {
    const v = f[flag];
    if (v === undefined) return undefined;
    const ns = parseDuration(v);
    if (ns === undefined) throw new CliError(`invalid argument "${v}" for "--${flag}" flag: time: invalid duration "${v}"`);
    if (ns < 0) throw new CliError(`--${flag} cannot be negative`);
    return ns;
  };
  const hc: NonNullable<ContainerCreateSpec['healthcheck']> = {
    interval: duration('health-interval'),
    timeout: duration('health-timeout'),
    startPeriod: duration('health-start-period'),
    startInterval: duration('health-start-interval'),
  };
  if (f['health-retries'] !== undefined) {
    hc.retries = parseNumber(f['health-retries'], '--health-retries', { integer: true });
    if (hc.retries < 0) throw new CliError('--health-retries cannot be negative');
  }
  if (f['health-cmd']) hc.test = ['CMD-SHELL', f['health-cmd']];
  for (const k of Object.keys(hc) as (keyof typeof hc)[]) if (!hc[k]) delete hc[k]; // 0 means "inherit", as in docker
  if (f['no-healthcheck']) {
    if (Object.keys(hc).length) throw new CliError('--no-healthcheck conflicts with --health-* options');
    return { test: ['NONE'] };
  }
  return Object.keys(hc).length ? hc : undefined;
}

/** Mount flags parsed here, with relative bind sources made absolute against this shell's cwd. */
function mountsFromFlags(f: CreateFlags): MountRequest[] {
  const wrap = <T>(fn: () => T): T => {
    try {
      return fn();
    } catch (e) {
      throw new CliError((e as Error).message);
    }
  };
  const mounts = [
    ...(f.volume ?? []).map((v) => wrap(() => parseVolumeFlag(v))),
    ...(f.mount ?? []).map((v) => wrap(() => parseMountFlag(v))),
    ...(f.tmpfs ?? []).map((v) => wrap(() => parseTmpfsFlag(v))),
  ];
  for (const m of mounts) if (m.type === 'bind' && m.source && !m.source.startsWith('/')) m.source = resolvePath(io().cwd, m.source);
  return mounts;
}

/** KEY=VALUE, or KEY alone meaning "take it from my environment" (Docker's rule). */
function envEntries(list: string[]): string[] {
  const out: string[] = [];
  for (const e of list) {
    if (e.includes('=')) out.push(e);
    else if (io().env[e] !== undefined) out.push(`${e}=${io().env[e]}`);
  }
  return out;
}

function readEnvFile(path: string): string[] {
  let text: string;
  try {
    text = readFileSync(resolvePath(io().cwd, path), 'utf8');
  } catch (e) {
    throw new CliError(`open ${path}: ${(e as NodeJS.ErrnoException).code === 'ENOENT' ? 'no such file or directory' : (e as Error).message}`);
  }
  return text
    .split('\n')
    .map((l) => l.trim())
    .filter((l) => l && !l.startsWith('#'));
}

export function specFromArgs(argv: string[], command: string): { spec: ContainerCreateSpec; flags: CreateFlags } {
  const { flags: f, args } = parseFlags(argv, CREATE_FLAGS, { stopAtPositional: true, command });
  const [image, ...cmd] = args;
  if (!image) throw new CliError(`"skiff ${command}" requires at least 1 argument.\nUsage: skiff ${command} [OPTIONS] IMAGE [COMMAND] [ARG...]`);
  const labels: Record<string, string> = {};
  for (const l of f.label ?? []) {
    const eq = l.indexOf('=');
    labels[eq < 0 ? l : l.slice(0, eq)] = eq < 0 ? '' : l.slice(eq + 1);
  }
  if (f.rm && f.restart && f.restart !== 'no') throw new CliError('conflicting options: cannot specify both --restart and --rm');
  const spec: ContainerCreateSpec = {
    image,
    cmd: cmd.length ? cmd : undefined,
    name: f.name,
    env: [...(f['env-file'] ?? []).flatMap(readEnvFile), ...envEntries(f.env ?? [])],
    workingDir: f.workdir,
    user: f.user,
    entrypoint: f.entrypoint !== undefined ? (f.entrypoint === '' ? [] : [f.entrypoint]) : undefined,
    hostname: f.hostname,
    labels,
    tty: !!f.tty,
    openStdin: !!f.interactive,
    autoRemove: !!f.rm,
    init: f.init ? true : undefined,
    readOnly: !!f['read-only'],
    cgroupns: cgroupnsFlag(f.cgroupns),
    capAdd: f['cap-add'],
    capDrop: f['cap-drop'],
    ...limitsFromFlags(f),
    network: f.network,
    stopSignal: f['stop-signal'],
    stopTimeout: f['stop-timeout'] ? parseNumber(f['stop-timeout'], '--stop-timeout', { integer: true }) : undefined,
  };
  try {
    const ports = (f.publish ?? []).flatMap((p) => parsePublishFlag(p));
    if (ports.length) spec.ports = ports;
  } catch (e) {
    throw new CliError((e as Error).message);
  }
  if (f['publish-all']) spec.publishAll = true;
  if (f.ip) spec.ip = f.ip;
  if (f['network-alias']?.length) spec.networkAliases = f['network-alias'];
  if (f.link?.length) spec.links = f.link;
  if (f.dns?.length) spec.dns = f.dns;
  if (f['add-host']?.length) spec.extraHosts = f['add-host'];
  if (f['mac-address']) spec.macAddress = f['mac-address'];
  try {
    if (f['shm-size']) spec.shmSize = parseBytes(f['shm-size'], '--shm-size');
    if (f.ulimit?.length) validateUlimits((spec.ulimits = f.ulimit.map(parseUlimitFlag)));
    if (f.sysctl?.length) spec.sysctls = Object.fromEntries(f.sysctl.map(parseSysctlFlag));
  } catch (e) {
    throw new CliError((e as Error).message);
  }
  if (f.expose?.length) spec.exposedPorts = f.expose;
  const mounts = mountsFromFlags(f);
  if (mounts.length) spec.mounts = mounts;
  if (f['volumes-from']?.length) spec.volumesFrom = f['volumes-from'];
  const healthcheck = healthFromFlags(f);
  if (healthcheck) spec.healthcheck = healthcheck;
  for (const k of Object.keys(spec) as (keyof ContainerCreateSpec)[]) if (spec[k] === undefined) delete spec[k];
  return { spec, flags: f };
}

/** Runs `fn`; if the image is missing locally, pulls it first (like `docker run`). */
async function withPull<T>(client: SkiffClient, image: string, pullPolicy: string | undefined, fn: () => Promise<T>): Promise<T> {
  if (pullPolicy === 'always') await pullImage(client, image, { quiet: false, stream: io().stderr });
  try {
    return await fn();
  } catch (e) {
    if (!isNotFound(e) || pullPolicy === 'never' || !/no such image/i.test((e as Error).message)) throw e;
    io().stderr.write(`Unable to find image '${image}' locally\n`);
    await pullImage(client, image, { quiet: false, stream: io().stderr });
    return fn();
  }
}

export async function runCommand(client: SkiffClient, argv: string[]): Promise<number> {
  const { spec, flags } = specFromArgs(argv, 'run');
  const detach = !!flags.detach;
  const { id, sessionId } = await withPull(client, spec.image, flags.pull, () => client.containers.run.mutate({ spec, attach: !detach }));
  if (detach || !sessionId) {
    io().stdout.write(`${id}\n`);
    return 0;
  }
  return streamSession(client, sessionId, { tty: !!spec.tty, stdin: !!spec.openStdin });
}

export async function createCommand(client: SkiffClient, argv: string[]): Promise<number> {
  const { spec, flags } = specFromArgs(argv, 'create');
  const { id, warnings } = await withPull(client, spec.image, flags.pull, () => client.containers.create.mutate(spec));
  for (const w of warnings) io().stderr.write(`WARNING: ${w}\n`);
  io().stdout.write(`${id}\n`);
  return 0;
}
