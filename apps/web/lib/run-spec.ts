import type { ContainerCreateSpec, MountRequest, PortBinding, RestartPolicy } from '@skiff/runtime/types';
import { parse as parseShell } from 'shell-quote';
import { parseByteSize, parsePublishFlag, parseVolumeFlag } from '@skiff/runtime/parse';

/**
 * The run form's state turned into the agent's create spec and the equivalent
 * `skiff run` command line. Pure (no React) so it is unit-tested, and it parses `-p`
 * and `-v` with the runtime's own parsers, so the form and the CLI cannot disagree.
 */
export interface RunForm {
  image: string;
  name: string;
  /** what follows the image: split like a shell would, or run through `sh -c` when it uses shell syntax */
  command: string;
  entrypoint: string;
  env: { key: string; value: string }[];
  /** `-p` specs separated by spaces, commas or new lines */
  ports: string;
  /** one `-v` spec per line: `/host:/path[:ro]`, `name:/path`, `/path` */
  volumes: string;
  network: string;
  restart: RestartPolicy['name'];
  maxRetries: string;
  cpus: string;
  memory: string;
  /** one `key=value` per line */
  labels: string;
  autoRemove: boolean;
  tty: boolean;
  workdir: string;
  user: string;
}

export const EMPTY_FORM: RunForm = {
  image: '',
  name: '',
  command: '',
  entrypoint: '',
  env: [],
  ports: '',
  volumes: '',
  network: '',
  restart: 'no',
  maxRetries: '',
  cpus: '',
  memory: '',
  labels: '',
  autoRemove: false,
  tty: false,
  workdir: '',
  user: '',
};

export interface RunPlan {
  spec: ContainerCreateSpec;
  /** the same request as a command line, shell-quoted; invalid values are left out of it (the form shows their errors instead) */
  commandLine: string;
  /** one message per field the agent would refuse, keyed by field */
  errors: Partial<Record<keyof RunForm, string>>;
}

const SHELL_SYNTAX = /[;&|<>`$(){}\n*?~]/;

/** argv for the command field: plain words are split; anything using shell syntax goes to `sh -c` */
export function commandArgv(command: string): string[] {
  const c = command.trim();
  if (!c) return [];
  if (SHELL_SYNTAX.test(c)) return ['sh', '-c', c];
  return parseShell(c).map(String);
}

/** `.env` text (comments, `export `, quotes) to key/value rows */
export function parseDotEnv(text: string): { key: string; value: string }[] {
  const rows: { key: string; value: string }[] = [];
  for (const raw of text.split(/\r?\n/)) {
    const line = raw.trim().replace(/^export\s+/, '');
    if (!line || line.startsWith('#')) continue;
    const eq = line.indexOf('=');
    const key = (eq < 0 ? line : line.slice(0, eq)).trim();
    let value = eq < 0 ? '' : line.slice(eq + 1).trim();
    const q = value[0];
    if ((q === '"' || q === "'") && value.endsWith(q) && value.length > 1) value = value.slice(1, -1);
    else value = value.replace(/\s+#.*$/, '');
    if (key) rows.push({ key, value });
  }
  return rows;
}

/** POSIX single-quoting, only where needed (shell-quote's quote() escapes `:` and `=`, which reads badly) */
function quote(argv: string[]): string {
  return argv.map((a) => (/^[\w@%+=:,./-]+$/.test(a) ? a : `'${a.replaceAll("'", "'\\''")}'`)).join(' ');
}

const words = (s: string) => s.split(/[\s,]+/).filter(Boolean);
const lines = (s: string) =>
  s
    .split('\n')
    .map((l) => l.trim())
    .filter(Boolean);

export function planRun(f: RunForm): RunPlan {
  const errors: RunPlan['errors'] = {};
  const args: string[] = ['skiff', 'run', '-d'];
  const spec: ContainerCreateSpec = { image: f.image.trim() };
  if (!spec.image) errors.image = 'an image is required';
  if (f.name.trim()) {
    spec.name = f.name.trim();
    if (!/^[a-zA-Z0-9][a-zA-Z0-9_.-]*$/.test(spec.name)) errors.name = 'names use letters, digits, _ . - and start with a letter or digit';
    else args.push('--name', spec.name);
  }
  if (f.autoRemove) {
    spec.autoRemove = true;
    args.push('--rm');
  }
  if (f.tty) {
    spec.tty = true;
    spec.openStdin = true;
    args.push('-it');
  }
  const ports: PortBinding[] = [];
  for (const p of words(f.ports)) {
    try {
      ports.push(...parsePublishFlag(p));
      args.push('-p', p);
    } catch (e) {
      errors.ports = (e as Error).message;
    }
  }
  if (ports.length) spec.ports = ports;
  const mounts: MountRequest[] = [];
  for (const v of lines(f.volumes)) {
    try {
      const m = parseVolumeFlag(v);
      // the dashboard has no working directory: a relative host path would mean the agent's
      if (m.type === 'bind' && !m.source?.startsWith('/')) throw new Error(`invalid volume "${v}": a host path must be absolute`);
      mounts.push(m);
      args.push('-v', v);
    } catch (e) {
      errors.volumes = (e as Error).message;
    }
  }
  if (mounts.length) spec.mounts = mounts;
  const env = f.env.filter((e) => e.key.trim());
  for (const e of env) {
    if (/[=\s]/.test(e.key.trim())) errors.env = `invalid variable name "${e.key}"`;
    else args.push('-e', `${e.key.trim()}=${e.value}`);
  }
  if (env.length) spec.env = env.map((e) => `${e.key.trim()}=${e.value}`);
  if (f.network) {
    spec.network = f.network;
    args.push('--network', f.network);
  }
  if (f.restart !== 'no') {
    if (f.autoRemove) errors.restart = 'a restart policy cannot be combined with --rm';
    if (f.restart === 'on-failure') {
      const given = f.maxRetries.trim();
      const valid = /^\d+$/.test(given);
      if (given && !valid) errors.maxRetries = 'maximum retries must be a whole number';
      const max = valid ? given : '';
      spec.restartPolicy = { name: 'on-failure', maximumRetryCount: max ? Number(max) : undefined };
      args.push('--restart', max ? `on-failure:${max}` : 'on-failure');
    } else {
      spec.restartPolicy = { name: f.restart };
      args.push('--restart', f.restart);
    }
  }
  if (f.cpus.trim()) {
    const n = Number(f.cpus);
    if (!Number.isFinite(n) || n <= 0) errors.cpus = 'CPUs must be a positive number, like 0.5';
    else {
      spec.nanoCpus = Math.round(n * 1e9);
      args.push('--cpus', f.cpus.trim());
    }
  }
  if (f.memory.trim()) {
    const n = parseByteSize(f.memory);
    if (!n) errors.memory = 'memory is a size like 256m or 1g';
    else {
      spec.memory = n;
      args.push('-m', f.memory.trim());
    }
  }
  const labels: Record<string, string> = {};
  for (const l of lines(f.labels)) {
    const eq = l.indexOf('=');
    labels[eq < 0 ? l : l.slice(0, eq)] = eq < 0 ? '' : l.slice(eq + 1);
    args.push('-l', l);
  }
  if (Object.keys(labels).length) spec.labels = labels;
  if (f.workdir.trim()) {
    spec.workingDir = f.workdir.trim();
    args.push('-w', spec.workingDir);
  }
  if (f.user.trim()) {
    spec.user = f.user.trim();
    args.push('-u', spec.user);
  }
  if (f.entrypoint.trim()) {
    spec.entrypoint = [f.entrypoint.trim()];
    args.push('--entrypoint', f.entrypoint.trim());
  }
  const cmd = commandArgv(f.command);
  if (cmd.length) spec.cmd = cmd;
  return { spec, errors, commandLine: `${quote(args)} ${quote([spec.image || 'IMAGE', ...cmd])}` };
}
