import { io } from '../io.js';
import { readFileSync } from 'node:fs';
import { resolve as resolvePath } from 'node:path';
import { parseDuration, parseMountFlag, parsePublishFlag, parseTmpfsFlag, parseVolumeFlag, type ContainerCreateSpec, type MountRequest } from '@skiff/runtime';
import { parseArgs, parseNumber, type FlagSpec } from '../args.js';
import type { SkiffClient } from '../client.js';
import { CliError, isNotFound } from '../errors.js';
import { LIMIT_FLAGS, limitsFromFlags } from '../limits.js';
import { streamSession } from '../stdio.js';
import { pullImage } from './images.js';

export const CREATE_FLAGS: FlagSpec[] = [
  { names: ['-d', '--detach'], kind: 'bool', key: 'detach' },
  { names: ['-i', '--interactive'], kind: 'bool', key: 'interactive' },
  { names: ['-t', '--tty'], kind: 'bool', key: 'tty' },
  { names: ['--rm'], kind: 'bool', key: 'rm' },
  { names: ['--name'], kind: 'string', key: 'name' },
  { names: ['-e', '--env'], kind: 'list', key: 'env' },
  { names: ['--env-file'], kind: 'list', key: 'envFile' },
  { names: ['-w', '--workdir'], kind: 'string', key: 'workdir' },
  { names: ['-u', '--user'], kind: 'string', key: 'user' },
  { names: ['--entrypoint'], kind: 'string', key: 'entrypoint' },
  { names: ['-h', '--hostname'], kind: 'string', key: 'hostname' },
  ...LIMIT_FLAGS,
  { names: ['--init'], kind: 'bool', key: 'init' },
  { names: ['--read-only'], kind: 'bool', key: 'readOnly' },
  { names: ['--cap-add'], kind: 'list', key: 'capAdd' },
  { names: ['--cap-drop'], kind: 'list', key: 'capDrop' },
  { names: ['-l', '--label'], kind: 'list', key: 'label' },
  { names: ['--network', '--net'], kind: 'string', key: 'network' },
  { names: ['--stop-signal'], kind: 'string', key: 'stopSignal' },
  { names: ['--stop-timeout'], kind: 'string', key: 'stopTimeout' },
  { names: ['--pull'], kind: 'string', key: 'pull' },
  { names: ['-v', '--volume'], kind: 'list', key: 'volume' },
  { names: ['--mount'], kind: 'list', key: 'mount' },
  { names: ['--tmpfs'], kind: 'list', key: 'tmpfs' },
  { names: ['--volumes-from'], kind: 'list', key: 'volumesFrom' },
  { names: ['-p', '--publish'], kind: 'list', key: 'publish' },
  { names: ['-P', '--publish-all'], kind: 'bool', key: 'publishAll' },
  { names: ['--ip'], kind: 'string', key: 'ip' },
  { names: ['--network-alias', '--alias'], kind: 'list', key: 'alias' },
  { names: ['--link'], kind: 'list', key: 'link' },
  { names: ['--dns'], kind: 'list', key: 'dns' },
  { names: ['--add-host'], kind: 'list', key: 'addHost' },
  { names: ['--mac-address'], kind: 'string', key: 'mac' },
  { names: ['--health-cmd'], kind: 'string', key: 'healthCmd' },
  { names: ['--health-interval'], kind: 'string', key: 'healthInterval' },
  { names: ['--health-timeout'], kind: 'string', key: 'healthTimeout' },
  { names: ['--health-retries'], kind: 'string', key: 'healthRetries' },
  { names: ['--health-start-period'], kind: 'string', key: 'healthStartPeriod' },
  { names: ['--health-start-interval'], kind: 'string', key: 'healthStartInterval' },
  { names: ['--no-healthcheck'], kind: 'bool', key: 'noHealthcheck' },
];

/**
 * `--health-*` / `--no-healthcheck` as docker's CLI turns them into a HealthConfig: only
 * the flags given are set, so the image's HEALTHCHECK fills the rest on the agent.
 */
function healthFromFlags(f: Record<string, unknown>): ContainerCreateSpec['healthcheck'] {
  const duration = (key: string, flag: string) => {
    const v = f[key] as string | undefined;
    if (v === undefined) return undefined;
    const ns = parseDuration(v);
    if (ns === undefined) throw new CliError(`invalid argument "${v}" for "${flag}" flag: time: invalid duration "${v}"`);
    if (ns < 0) throw new CliError(`${flag} cannot be negative`);
    return ns;
  };
  const hc: NonNullable<ContainerCreateSpec['healthcheck']> = {
    interval: duration('healthInterval', '--health-interval'),
    timeout: duration('healthTimeout', '--health-timeout'),
    startPeriod: duration('healthStartPeriod', '--health-start-period'),
    startInterval: duration('healthStartInterval', '--health-start-interval'),
  };
  if (f.healthRetries !== undefined) {
    hc.retries = parseNumber(f.healthRetries as string, '--health-retries', { integer: true });
    if (hc.retries < 0) throw new CliError('--health-retries cannot be negative');
  }
  if (f.healthCmd) hc.test = ['CMD-SHELL', f.healthCmd as string];
  for (const k of Object.keys(hc) as (keyof typeof hc)[]) if (!hc[k]) delete hc[k]; // 0 means "inherit", as in docker
  if (f.noHealthcheck) {
    if (Object.keys(hc).length) throw new CliError('--no-healthcheck conflicts with --health-* options');
    return { test: ['NONE'] };
  }
  return Object.keys(hc).length ? hc : undefined;
}

/** Mount flags parsed here, with relative bind sources made absolute against this shell's cwd. */
function mountsFromFlags(f: Record<string, unknown>): MountRequest[] {
  const wrap = <T>(fn: () => T): T => {
    try {
      return fn();
    } catch (e) {
      throw new CliError((e as Error).message);
    }
  };
  const list = (k: string) => (f[k] as string[] | undefined) ?? [];
  const mounts = [
    ...list('volume').map((v) => wrap(() => parseVolumeFlag(v))),
    ...list('mount').map((v) => wrap(() => parseMountFlag(v))),
    ...list('tmpfs').map((v) => wrap(() => parseTmpfsFlag(v))),
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
  return text.split('\n').map((l) => l.trim()).filter((l) => l && !l.startsWith('#'));
}

export function specFromArgs(argv: string[], command: string): { spec: ContainerCreateSpec; flags: Record<string, unknown> } {
  const { flags, args } = parseArgs(argv, CREATE_FLAGS, { stopAtPositional: true, command });
  const [image, ...cmd] = args;
  if (!image) throw new CliError(`"skiff ${command}" requires at least 1 argument.\nUsage: skiff ${command} [OPTIONS] IMAGE [COMMAND] [ARG...]`);
  const f = flags as Record<string, string | boolean | string[] | undefined>;
  const labels: Record<string, string> = {};
  for (const l of (f.label as string[] | undefined) ?? []) {
    const eq = l.indexOf('=');
    labels[eq < 0 ? l : l.slice(0, eq)] = eq < 0 ? '' : l.slice(eq + 1);
  }
  if (f.rm && f.restart && f.restart !== 'no') throw new CliError('conflicting options: cannot specify both --restart and --rm');
  const spec: ContainerCreateSpec = {
    image,
    cmd: cmd.length ? cmd : undefined,
    name: f.name as string | undefined,
    env: [...((f.envFile as string[] | undefined) ?? []).flatMap(readEnvFile), ...envEntries((f.env as string[] | undefined) ?? [])],
    workingDir: f.workdir as string | undefined,
    user: f.user as string | undefined,
    entrypoint: f.entrypoint !== undefined ? ((f.entrypoint as string) === '' ? [] : [f.entrypoint as string]) : undefined,
    hostname: f.hostname as string | undefined,
    labels,
    tty: !!f.tty,
    openStdin: !!f.interactive,
    autoRemove: !!f.rm,
    init: f.init ? true : undefined,
    readOnly: !!f.readOnly,
    capAdd: f.capAdd as string[] | undefined,
    capDrop: f.capDrop as string[] | undefined,
    ...limitsFromFlags(f),
    network: f.network as string | undefined,
    stopSignal: f.stopSignal as string | undefined,
    stopTimeout: f.stopTimeout ? parseNumber(f.stopTimeout as string, '--stop-timeout', { integer: true }) : undefined,
  };
  try {
    const ports = ((f.publish as string[] | undefined) ?? []).flatMap((p) => parsePublishFlag(p));
    if (ports.length) spec.ports = ports;
  } catch (e) {
    throw new CliError((e as Error).message);
  }
  if (f.publishAll) spec.publishAll = true;
  if (f.ip) spec.ip = f.ip as string;
  if ((f.alias as string[] | undefined)?.length) spec.networkAliases = f.alias as string[];
  if ((f.link as string[] | undefined)?.length) spec.links = f.link as string[];
  if ((f.dns as string[] | undefined)?.length) spec.dns = f.dns as string[];
  if ((f.addHost as string[] | undefined)?.length) spec.extraHosts = f.addHost as string[];
  if (f.mac) spec.macAddress = f.mac as string;
  const mounts = mountsFromFlags(f);
  if (mounts.length) spec.mounts = mounts;
  if ((f.volumesFrom as string[] | undefined)?.length) spec.volumesFrom = f.volumesFrom as string[];
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
  const { id, sessionId } = await withPull(client, spec.image, flags.pull as string | undefined, () =>
    client.containers.run.mutate({ spec, attach: !detach }),
  );
  if (detach || !sessionId) {
    io().stdout.write(`${id}\n`);
    return 0;
  }
  return streamSession(client, sessionId, { tty: !!spec.tty, stdin: !!spec.openStdin });
}

export async function createCommand(client: SkiffClient, argv: string[]): Promise<number> {
  const { spec, flags } = specFromArgs(argv, 'create');
  const { id, warnings } = await withPull(client, spec.image, flags.pull as string | undefined, () => client.containers.create.mutate(spec));
  for (const w of warnings) io().stderr.write(`WARNING: ${w}\n`);
  io().stdout.write(`${id}\n`);
  return 0;
}
