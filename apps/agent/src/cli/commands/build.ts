import { io } from '../io.js';
import { randomBytes } from 'node:crypto';
import { readFile, stat } from 'node:fs/promises';
import { isAbsolute, relative, resolve } from 'node:path';
import { createInterface } from 'node:readline';
import { parseFlags } from '../args.js';
import { agentRequest } from '../agent-http.js';
import type { SkiffClient } from '../client.js';
import { packContext, type ContextExtra } from '../context-tar.js';
import { CliError } from '../errors.js';
import { shortId } from '../format.js';

const USAGE = 'Usage: skiff build [OPTIONS] PATH | -';

type WireEvent =
  | { type: 'step' | 'status'; text: string }
  | { type: 'cached' }
  | { type: 'output'; stream: 'stdout' | 'stderr'; data: string }
  | { type: 'built'; id: string }
  | { type: 'tagged'; ref: string }
  | { type: 'error'; message: string };

async function readAll(stream: NodeJS.ReadableStream): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const c of stream) chunks.push(c as Buffer);
  return Buffer.concat(chunks).toString('utf8');
}

/** `--build-arg K=V`, or `--build-arg K` taking K from the environment (Docker's rule: unset → left out) */
function buildArgs(list: string[]): Record<string, string> {
  const out: Record<string, string> = {};
  for (const a of list) {
    const eq = a.indexOf('=');
    if (eq === 0) throw new CliError(`invalid --build-arg "${a}": the name is empty`);
    if (eq > 0) out[a.slice(0, eq)] = a.slice(eq + 1);
    else if (io().env[a] !== undefined) out[a] = io().env[a]!;
  }
  return out;
}

/** `skiff build [-t TAG]... [-f FILE] [--build-arg K=V]... [--no-cache] [--target STAGE] [--network MODE] [-q] PATH|-` */
export async function buildCommand(_client: SkiffClient, argv: string[]): Promise<number> {
  const { flags, args } = parseFlags(
    argv,
    {
      tag: { type: 'string', short: 't', multiple: true },
      file: { type: 'string', short: 'f' },
      'build-arg': { type: 'string', multiple: true },
      'no-cache': { type: 'boolean' },
      target: { type: 'string' },
      network: { type: 'string' },
      quiet: { type: 'boolean', short: 'q' },
    },
    { command: 'build' },
  );
  if (args.length !== 1) throw new CliError(`"skiff build" requires exactly 1 argument.\n${USAGE}`);
  const contextArg = args[0]!;
  const file = flags.file;
  const query = new URLSearchParams();
  for (const t of flags.tag ?? []) query.append('t', t);
  const bargs = buildArgs(flags['build-arg'] ?? []);
  if (Object.keys(bargs).length) query.set('buildargs', JSON.stringify(bargs));
  if (flags['no-cache']) query.set('nocache', '1');
  if (flags.target) query.set('target', flags.target);
  if (flags.network) query.set('networkmode', flags.network);

  let body: NodeJS.ReadableStream;
  if (contextArg === '-') {
    // stdin is the context: a tar (plain, gzip, zstd) or a bare Dockerfile; -f names a file inside it
    if (io().stdin.isTTY) throw new CliError('the build context is stdin, but stdin is a terminal: pipe a tar archive or a Dockerfile into it');
    if (file === '-') throw new CliError("invalid argument: can't use stdin for both build context and dockerfile");
    if (file) query.set('dockerfile', file);
    body = io().stdin;
  } else {
    const dir = resolve(contextArg);
    const st = await stat(dir).catch(() => undefined);
    if (!st?.isDirectory()) throw new CliError(`unable to prepare context: path "${contextArg}" not found or not a directory`);
    const extra: ContextExtra[] = [];
    let dockerfileRel = 'Dockerfile';
    if (file) {
      const inContext = file !== '-' && relative(dir, resolve(file));
      if (inContext && !inContext.startsWith('..') && !isAbsolute(inContext)) dockerfileRel = inContext;
      else {
        // a Dockerfile outside the context travels inside the archive under a name of its own, as with docker
        const text = file === '-' ? await readAll(io().stdin) : await readFile(file, 'utf8').catch(() => undefined);
        if (text === undefined)
          throw new CliError(`unable to prepare context: unable to evaluate symlinks in Dockerfile path: lstat ${resolve(file)}: no such file or directory`);
        dockerfileRel = `.dockerfile.${randomBytes(10).toString('hex')}`;
        extra.push({ name: dockerfileRel, content: text });
      }
      query.set('dockerfile', dockerfileRel);
    }
    body = await packContext(dir, [dockerfileRel, '.dockerignore'], extra);
  }

  const res = await agentRequest('POST', `/api/build?${query}`, body);
  const out = io().stdout;
  const quiet = !!flags.quiet;
  let id: string | undefined;
  let failure: string | undefined;
  for await (const line of createInterface({ input: res, crlfDelay: Infinity })) {
    if (!line.trim()) continue;
    const e = JSON.parse(line) as WireEvent;
    if (e.type === 'error') failure = e.message;
    else if (e.type === 'built') id = e.id;
    if (quiet) continue;
    if (e.type === 'step' || e.type === 'status') out.write(`${e.text}\n`);
    else if (e.type === 'cached') out.write(' ---> Using cache\n');
    else if (e.type === 'output') (e.stream === 'stderr' ? io().stderr : out).write(e.data);
    else if (e.type === 'built') out.write(`Successfully built ${shortId(e.id)}\n`);
    else if (e.type === 'tagged') out.write(`Successfully tagged ${e.ref}\n`);
  }
  if (failure !== undefined) throw new CliError(failure, 1);
  if (!id) throw new CliError('the connection to the agent was cut before the build finished', 1);
  if (quiet) out.write(`${id}\n`);
  return 0;
}
