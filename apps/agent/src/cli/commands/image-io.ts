import { io } from '../io.js';
import { createReadStream, createWriteStream } from 'node:fs';
import { unlink } from 'node:fs/promises';
import type { IncomingMessage } from 'node:http';
import { pipeline } from 'node:stream/promises';
import { parseFlags } from '../args.js';
import { agentRequest, readJson } from '../agent-http.js';
import type { SkiffClient } from '../client.js';
import { CliError } from '../errors.js';

/** Writes a tar response to FILE, or to stdout unless that is a terminal (Docker's rule). */
async function writeTar(res: IncomingMessage, file: string | undefined): Promise<void> {
  if (!file) {
    await pipeline(res, io().stdout).catch((e: Error) => {
      throw new CliError(`the archive is incomplete: ${e.message}`);
    });
    return;
  }
  try {
    await pipeline(res, createWriteStream(file));
  } catch (e) {
    await unlink(file).catch(
      (ue: NodeJS.ErrnoException) => void (ue.code === 'ENOENT' || io().stderr.write(`skiff: cannot remove the partial ${file}: ${ue.message}\n`)),
    );
    throw new CliError(`the archive is incomplete: ${(e as Error).message}`);
  }
}

function refuseTerminal(file: string | undefined): void {
  if (!file && io().stdout.isTTY) throw new CliError('cowardly refusing to save to a terminal. Use the -o flag or redirect');
}

/** `skiff save [-o FILE] IMAGE...` */
export async function saveCommand(_client: SkiffClient, argv: string[]): Promise<number> {
  const { flags, args } = parseFlags(argv, { output: { type: 'string', short: 'o' } }, { command: 'save' });
  if (args.length === 0) throw new CliError('"skiff save" requires at least 1 argument.\nUsage: skiff save [OPTIONS] IMAGE [IMAGE...]');
  const file = flags.output;
  refuseTerminal(file);
  const query = new URLSearchParams(args.map((a) => ['names', a]));
  await writeTar(await agentRequest('GET', `/api/images/get?${query}`), file);
  return 0;
}

/** `skiff load [-i FILE] [-q]` */
export async function loadCommand(_client: SkiffClient, argv: string[]): Promise<number> {
  const { flags, args } = parseFlags(
    argv,
    {
      input: { type: 'string', short: 'i' },
      quiet: { type: 'boolean', short: 'q' },
    },
    { command: 'load' },
  );
  if (args.length) throw new CliError('"skiff load" accepts no arguments.\nUsage: skiff load [OPTIONS]');
  const file = flags.input;
  if (!file && io().stdin.isTTY) throw new CliError('requested load from stdin, but stdin is empty');
  const body = file ? createReadStream(file) : io().stdin;
  const { loaded } = await readJson<{ loaded: string[] }>(await agentRequest('POST', '/api/images/load', body));
  for (const name of loaded) io().stdout.write(name.startsWith('sha256:') ? `Loaded image ID: ${name}\n` : `Loaded image: ${name}\n`);
  return 0;
}

/** `skiff export [-o FILE] CONTAINER` */
export async function exportCommand(_client: SkiffClient, argv: string[]): Promise<number> {
  const { flags, args } = parseFlags(argv, { output: { type: 'string', short: 'o' } }, { command: 'export' });
  if (args.length !== 1) throw new CliError('"skiff export" requires exactly 1 argument.\nUsage: skiff export [OPTIONS] CONTAINER');
  const file = flags.output;
  refuseTerminal(file);
  await writeTar(await agentRequest('GET', `/api/containers/${encodeURIComponent(args[0]!)}/export`), file);
  return 0;
}

/** `skiff import FILE|- [REPOSITORY[:TAG]] [-m MSG] [-c CHANGE]...` */
export async function importCommand(_client: SkiffClient, argv: string[]): Promise<number> {
  const { flags, args } = parseFlags(
    argv,
    {
      message: { type: 'string', short: 'm' },
      change: { type: 'string', short: 'c', multiple: true },
    },
    { command: 'import' },
  );
  if (args.length < 1 || args.length > 2)
    throw new CliError('"skiff import" requires 1 or 2 arguments.\nUsage: skiff import [OPTIONS] file|- [REPOSITORY[:TAG]]');
  const [src, ref] = args as [string, string | undefined];
  const query = new URLSearchParams();
  if (ref) query.set('ref', ref);
  if (flags.message) query.set('message', flags.message);
  for (const c of flags.change ?? []) query.append('changes', c);
  const body = src === '-' ? io().stdin : createReadStream(src);
  const { id } = await readJson<{ id: string }>(await agentRequest('POST', `/api/images/import?${query}`, body));
  io().stdout.write(`${id}\n`);
  return 0;
}
