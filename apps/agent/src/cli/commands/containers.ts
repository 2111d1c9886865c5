import { io } from '../io.js';
import { needArgs, parseFlags, parseNumber } from '../args.js';
import type { SkiffClient } from '../client.js';
import { CliError, messageOf } from '../errors.js';
import { LIMIT_FLAGS, limitsFromFlags } from '../limits.js';
import { streamSession } from '../stdio.js';

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
  const { flags, args } = parseFlags(argv, { attach: { type: 'boolean', short: 'a' }, interactive: { type: 'boolean', short: 'i' } }, { command: 'start' });
  needArgs(args, 1, 'start', '[OPTIONS] CONTAINER [CONTAINER...]');
  if (!flags.attach) return forEach(args, (id) => client.containers.start.mutate({ id }));
  if (args.length > 1) throw new CliError('you cannot start and attach multiple containers at once');
  await client.containers.start.mutate({ id: args[0]! });
  const { sessionId, tty } = await client.containers.attach.mutate({ id: args[0]! });
  return streamSession(client, sessionId, { tty, stdin: !!flags.interactive });
}

export async function stopCommand(client: SkiffClient, argv: string[], command: 'stop' | 'restart'): Promise<number> {
  const { flags, args } = parseFlags(argv, { time: { type: 'string', short: 't', aliases: ['timeout'] }, signal: { type: 'string', short: 's' } }, { command });
  needArgs(args, 1, command, '[OPTIONS] CONTAINER [CONTAINER...]');
  const timeout = flags.time !== undefined ? parseNumber(flags.time, '--time', { integer: true }) : undefined;
  return forEach(args, (id) =>
    command === 'stop' ? client.containers.stop.mutate({ id, timeout, signal: flags.signal }) : client.containers.restart.mutate({ id, timeout }),
  );
}

export async function simpleCommand(client: SkiffClient, argv: string[], command: 'pause' | 'unpause'): Promise<number> {
  const { args } = parseFlags(argv, {}, { command });
  needArgs(args, 1, command, 'CONTAINER [CONTAINER...]');
  return forEach(args, (id) => client.containers[command].mutate({ id }));
}

export async function killCommand(client: SkiffClient, argv: string[]): Promise<number> {
  const { flags, args } = parseFlags(argv, { signal: { type: 'string', short: 's' } }, { command: 'kill' });
  needArgs(args, 1, 'kill', '[OPTIONS] CONTAINER [CONTAINER...]');
  return forEach(args, (id) => client.containers.kill.mutate({ id, signal: flags.signal }));
}

export async function rmCommand(client: SkiffClient, argv: string[]): Promise<number> {
  const { flags, args } = parseFlags(argv, { force: { type: 'boolean', short: 'f' }, volumes: { type: 'boolean', short: 'v' } }, { command: 'rm' });
  needArgs(args, 1, 'rm', '[OPTIONS] CONTAINER [CONTAINER...]');
  return forEach(args, (id) => client.containers.remove.mutate({ id, force: !!flags.force, volumes: !!flags.volumes }));
}

export async function renameCommand(client: SkiffClient, argv: string[]): Promise<number> {
  const { args } = parseFlags(argv, {}, { command: 'rename' });
  if (args.length !== 2) throw new CliError('"skiff rename" requires exactly 2 arguments.\nUsage: skiff rename CONTAINER NEW_NAME');
  await client.containers.rename.mutate({ id: args[0]!, name: args[1]! });
  return 0;
}

export async function execCommand(client: SkiffClient, argv: string[]): Promise<number> {
  const { flags, args } = parseFlags(
    argv,
    {
      interactive: { type: 'boolean', short: 'i' },
      tty: { type: 'boolean', short: 't' },
      env: { type: 'string', short: 'e', multiple: true },
      workdir: { type: 'string', short: 'w' },
      user: { type: 'string', short: 'u' },
      privileged: { type: 'boolean' },
      detach: { type: 'boolean', short: 'd' },
    },
    { command: 'exec', stopAtPositional: true },
  );
  needArgs(args, 2, 'exec', '[OPTIONS] CONTAINER COMMAND [ARG...]');
  const [id, ...cmd] = args;
  const spec = {
    cmd,
    tty: !!flags.tty,
    stdin: !!flags.interactive,
    env: flags.env,
    workingDir: flags.workdir,
    user: flags.user,
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
  const { flags, args } = parseFlags(argv, { 'no-stdin': { type: 'boolean' } }, { command: 'attach' });
  needArgs(args, 1, 'attach', '[OPTIONS] CONTAINER');
  const info = await client.containers.inspect.query({ id: args[0]! });
  const { sessionId, tty } = await client.containers.attach.mutate({ id: args[0]! });
  return streamSession(client, sessionId, { tty, stdin: info.Config.OpenStdin && !flags['no-stdin'] });
}

export async function waitCommand(client: SkiffClient, argv: string[]): Promise<number> {
  const { args } = parseFlags(argv, {}, { command: 'wait' });
  needArgs(args, 1, 'wait', 'CONTAINER [CONTAINER...]');
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
  const { args } = parseFlags(argv, {}, { command: 'diff' });
  needArgs(args, 1, 'diff', 'CONTAINER');
  const changes = await client.containers.diff.query({ id: args[0]! });
  io().stdout.write(changes.map((c) => `${'CAD'[c.kind]} ${c.path}\n`).join(''));
  return 0;
}

/** `skiff commit [-a AUTHOR] [-m MSG] [-c CHANGE]... [--pause=false] CONTAINER [REPO[:TAG]]` */
export async function commitCommand(client: SkiffClient, argv: string[]): Promise<number> {
  const { flags, args } = parseFlags(
    argv,
    {
      author: { type: 'string', short: 'a' },
      message: { type: 'string', short: 'm' },
      change: { type: 'string', short: 'c', multiple: true },
      pause: { type: 'boolean', short: 'p' },
    },
    { command: 'commit' },
  );
  const usage = 'Usage: skiff commit [OPTIONS] CONTAINER [REPOSITORY[:TAG]]';
  if (args.length < 1 || args.length > 2) throw new CliError(`"skiff commit" requires at least 1 and at most 2 arguments.\n${usage}`);
  const { id } = await client.containers.commit.mutate({
    id: args[0]!,
    ref: args[1],
    author: flags.author,
    message: flags.message,
    changes: flags.change,
    pause: flags.pause !== false,
  });
  io().stdout.write(`${id}\n`);
  return 0;
}

/** `skiff update [OPTIONS] CONTAINER...`: new limits or restart policy; prints each name, as docker does */
export async function updateCommand(client: SkiffClient, argv: string[]): Promise<number> {
  const { flags, args } = parseFlags(argv, LIMIT_FLAGS, { command: 'update' });
  needArgs(args, 1, 'update', '[OPTIONS] CONTAINER [CONTAINER...]');
  const spec = limitsFromFlags(flags);
  if (!Object.keys(spec).length) throw new CliError('you must provide one or more flags when using this command');
  return forEach(args, async (id) => {
    const { warnings } = await client.containers.update.mutate({ id, spec });
    for (const w of warnings) io().stderr.write(`${w}\n`);
  });
}
