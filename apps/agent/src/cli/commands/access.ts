import { groupHelpFor } from '../help.js';
import { io } from '../io.js';
import { oneOf, parseFlags } from '../args.js';
import type { SkiffClient } from '../client.js';
import { CliError } from '../errors.js';
import { table } from '../format.js';

const ROLES = ['admin', 'operator', 'viewer'] as const;
const SCOPES = ['read', 'operate', 'admin'] as const;

async function readSecret(flag: string | undefined, fromStdin: boolean, what: string): Promise<string> {
  if (flag) return flag;
  if (fromStdin) {
    let s = '';
    for await (const c of io().stdin) s += c;
    return s.replace(/\r?\n$/, '');
  }
  throw new CliError(`${what} required: pass --password or --password-stdin`);
}

/** `skiff user create|ls|rm|passwd|role` (admin) */
export async function userCommand(client: SkiffClient, argv: string[]): Promise<number> {
  const [sub, ...rest] = argv;
  const help = groupHelpFor('user', sub);
  if (help) throw help;
  const { flags, args } = parseFlags(
    rest,
    {
      role: { type: 'string' },
      password: { type: 'string', short: 'p' },
      'password-stdin': { type: 'boolean' },
    },
    { command: `user ${sub}` },
  );
  const role = flags.role === undefined ? undefined : oneOf(ROLES, flags.role, '--role');
  switch (sub) {
    case 'create':
      if (args.length !== 1) throw new CliError('usage: skiff user create [--role admin|operator|viewer] (--password P | --password-stdin) NAME');
      await client.users.create.mutate({
        username: args[0]!,
        role: role ?? 'viewer',
        password: await readSecret(flags.password, !!flags['password-stdin'], 'a password'),
      });
      io().stdout.write(`${args[0]}\n`);
      return 0;
    case 'ls':
    case 'list': {
      const users = await client.users.list.query();
      io().stdout.write(
        table(
          ['USERNAME', 'ROLE', 'DISABLED', 'CREATED'],
          users.map((u) => [u.username, u.role, String(u.disabled), new Date(u.createdAt).toISOString()]),
        ),
      );
      return 0;
    }
    case 'rm':
      for (const u of args) await client.users.remove.mutate({ username: u });
      return 0;
    case 'passwd':
    case 'update':
      if (args.length !== 1) throw new CliError('usage: skiff user passwd [--role R] [--password P | --password-stdin] NAME');
      await client.users.update.mutate({
        username: args[0]!,
        role,
        password: flags.password || flags['password-stdin'] ? await readSecret(flags.password, !!flags['password-stdin'], 'a password') : undefined,
      });
      return 0;
    default:
      throw new CliError('usage: skiff user create|ls|rm|passwd ...');
  }
}

/** `skiff token create|ls|rm` */
export async function tokenCommand(client: SkiffClient, argv: string[]): Promise<number> {
  const [sub, ...rest] = argv;
  const help = groupHelpFor('token', sub);
  if (help) throw help;
  const { flags, args } = parseFlags(
    rest,
    {
      scope: { type: 'string', multiple: true },
      user: { type: 'string' },
      'expires-days': { type: 'string' },
    },
    { command: `token ${sub}` },
  );
  switch (sub) {
    case 'create': {
      if (args.length !== 1) throw new CliError('usage: skiff token create [--scope read|operate|admin] [--user NAME] [--expires-days N] NAME');
      const scopes = (flags.scope ?? ['read']).map((s) => oneOf(SCOPES, s, '--scope'));
      const t = await client.tokens.create.mutate({
        name: args[0]!,
        scopes,
        username: flags.user,
        expiresInDays: flags['expires-days'] ? Number(flags['expires-days']) : undefined,
      });
      io().stdout.write(`${t.token}\n`);
      return 0;
    }
    case 'ls':
    case 'list': {
      const list = await client.tokens.list.query();
      io().stdout.write(
        table(
          ['ID', 'NAME', 'USER', 'SCOPES', 'PREFIX', 'EXPIRES', 'LAST USED'],
          list.map((t) => [
            t.id,
            t.name,
            t.user.username,
            t.scopes,
            t.prefix,
            t.expiresAt ? new Date(t.expiresAt).toISOString() : 'never',
            t.lastUsedAt ? new Date(t.lastUsedAt).toISOString() : '-',
          ]),
        ),
      );
      return 0;
    }
    case 'rm':
    case 'revoke':
      for (const id of args) await client.tokens.revoke.mutate({ id });
      return 0;
    default:
      throw new CliError('usage: skiff token create|ls|rm ...');
  }
}

/** `skiff login [-u USER] [-p PASS | --password-stdin] REGISTRY`: stored encrypted by the agent */
export async function loginCommand(client: SkiffClient, argv: string[]): Promise<number> {
  const { flags, args } = parseFlags(
    argv,
    {
      username: { type: 'string', short: 'u' },
      password: { type: 'string', short: 'p' },
      'password-stdin': { type: 'boolean' },
    },
    { command: 'login' },
  );
  if (args.length !== 1 || !flags.username) throw new CliError('usage: skiff login -u USER (-p PASS | --password-stdin) REGISTRY');
  const { registry } = await client.registries.login.mutate({
    registry: args[0]!,
    username: flags.username,
    password: await readSecret(flags.password, !!flags['password-stdin'], 'a password'),
  });
  io().stdout.write(`Login Succeeded (credentials for ${registry} stored by the agent)\n`);
  return 0;
}

export async function logoutCommand(client: SkiffClient, argv: string[]): Promise<number> {
  const { args } = parseFlags(argv, {}, { command: 'logout' });
  if (args.length !== 1) throw new CliError('usage: skiff logout REGISTRY');
  await client.registries.logout.mutate({ registry: args[0]! });
  io().stdout.write(`Removing login credentials for ${argv[0]}\n`);
  return 0;
}
