import { groupHelpFor } from '../help.js';
import { io } from '../io.js';
import { parseFlags } from '../args.js';
import type { SkiffClient } from '../client.js';
import { CliError, messageOf } from '../errors.js';
import { table } from '../format.js';
import { renderInspect } from '../inspect-format.js';
import { renderListing } from '../listing.js';
import { NETWORK_KIND, naturalCompare, networkRow } from '../listing-rows.js';

/** `skiff network create|ls|inspect|rm|prune|connect|disconnect` */
export async function networkCommand(client: SkiffClient, argv: string[]): Promise<number> {
  const [sub, ...rest] = argv;
  const help = groupHelpFor('network', sub);
  if (help) throw help;
  switch (sub) {
    case 'create': {
      const { flags, args } = parseFlags(
        rest,
        {
          subnet: { type: 'string' },
          gateway: { type: 'string' },
          'ip-range': { type: 'string' },
          internal: { type: 'boolean' },
          label: { type: 'string', short: 'l', multiple: true },
          driver: { type: 'string', short: 'd' },
        },
        { command: 'network create' },
      );
      if (args.length !== 1) throw new CliError('"skiff network create" requires exactly 1 argument.\nUsage: skiff network create [OPTIONS] NETWORK');
      if (flags.driver && flags.driver !== 'bridge') throw new CliError(`unsupported network driver "${flags.driver}" (only bridge)`);
      const labels = Object.fromEntries((flags.label ?? []).map((l) => [l.split('=')[0]!, l.includes('=') ? l.slice(l.indexOf('=') + 1) : '']));
      const n = await client.networks.create.mutate({
        name: args[0]!,
        subnet: flags.subnet,
        gateway: flags.gateway,
        ipRange: flags['ip-range'],
        internal: !!flags.internal,
        labels,
      });
      io().stdout.write(`${n.id}\n`);
      return 0;
    }
    case 'ls':
    case 'list': {
      const { flags } = parseFlags(
        rest,
        {
          quiet: { type: 'boolean', short: 'q' },
          format: { type: 'string' },
          'no-trunc': { type: 'boolean' },
          filter: { type: 'string', short: 'f', multiple: true },
        },
        { command: 'network ls' },
      );
      // sorted by name, as docker's CLI sorts them
      const list = networkFilter(flags.filter ?? [])(await client.networks.list.query()).sort((a, b) => naturalCompare(a.name, b.name));
      const id = (s: string) => (flags['no-trunc'] ? s : s.slice(0, 12));
      if (flags.quiet) io().stdout.write(list.map((n) => `${id(n.id)}\n`).join(''));
      else if (flags.format)
        io().stdout.write(
          renderListing(
            flags.format,
            list.map((n) => networkRow(n, !flags['no-trunc'])),
            NETWORK_KIND,
          ),
        );
      else
        io().stdout.write(
          table(
            ['NETWORK ID', 'NAME', 'DRIVER', 'SCOPE'],
            list.map((n) => [id(n.id), n.name, n.driver, 'local']),
          ),
        );
      return 0;
    }
    case 'inspect': {
      const { flags, args } = parseFlags(
        rest,
        { format: { type: 'string', short: 'f' }, verbose: { type: 'boolean', short: 'v' } },
        { command: 'network inspect' },
      );
      if (!args.length) throw new CliError('"skiff network inspect" requires at least 1 argument.');
      const out = [];
      for (const id of args) out.push(await client.networks.inspect.query({ id }));
      renderInspect(flags.format, out, (t) => io().stdout.write(t));
      return 0;
    }
    case 'rm':
    case 'remove': {
      const { args } = parseFlags(rest, {}, { command: 'network rm' });
      if (!args.length) throw new CliError('"skiff network rm" requires at least 1 argument.');
      let code = 0;
      for (const id of args) {
        try {
          await client.networks.remove.mutate({ id });
          io().stdout.write(`${id}\n`);
        } catch (e) {
          io().stderr.write(`Error response from agent: ${messageOf(e)}\n`);
          code = 1;
        }
      }
      return code;
    }
    case 'prune': {
      parseFlags(rest, { force: { type: 'boolean', short: 'f' } }, { command: 'network prune' });
      const removed = await client.networks.prune.mutate();
      io().stdout.write(removed.length ? `Deleted Networks:\n${removed.map((n) => `${n}\n`).join('')}` : '');
      return 0;
    }
    case 'connect': {
      const { flags, args } = parseFlags(
        rest,
        {
          ip: { type: 'string' },
          alias: { type: 'string', multiple: true },
        },
        { command: 'network connect' },
      );
      if (args.length !== 2)
        throw new CliError('"skiff network connect" requires exactly 2 arguments.\nUsage: skiff network connect [OPTIONS] NETWORK CONTAINER');
      await client.networks.connect.mutate({ network: args[0]!, container: args[1]!, ip: flags.ip, aliases: flags.alias });
      return 0;
    }
    case 'disconnect': {
      const { args } = parseFlags(rest, { force: { type: 'boolean', short: 'f' } }, { command: 'network disconnect' });
      if (args.length !== 2) throw new CliError('"skiff network disconnect" requires exactly 2 arguments.\nUsage: skiff network disconnect NETWORK CONTAINER');
      await client.networks.disconnect.mutate({ network: args[0]!, container: args[1]! });
      return 0;
    }
    default:
      throw new CliError('usage: skiff network create|ls|inspect|rm|prune|connect|disconnect ...');
  }
}

/**
 * docker's `network ls --filter`: name= (substring), id= (prefix), driver=, label=KEY[=VALUE],
 * type=builtin|custom; values of one key are alternatives, keys all apply.
 */
function networkFilter(filters: string[]) {
  const by = new Map<string, string[]>();
  for (const f of filters) {
    const eq = f.indexOf('=');
    const key = f.slice(0, eq);
    if (eq < 0 || !['name', 'id', 'driver', 'label', 'type'].includes(key))
      throw new CliError(`invalid filter '${f}' (supported: name=, id=, driver=, label=, type=)`);
    by.set(key, [...(by.get(key) ?? []), f.slice(eq + 1)]);
  }
  const builtin = new Set(['bridge', 'host', 'none']);
  const tests: Record<string, (n: NetworkRow, v: string) => boolean> = {
    name: (n, v) => n.name.includes(v),
    id: (n, v) => n.id.startsWith(v),
    driver: (n, v) => n.driver === v,
    label: (n, v) => {
      const eq = v.indexOf('=');
      return eq < 0 ? v in n.labels : n.labels[v.slice(0, eq)] === v.slice(eq + 1);
    },
    type: (n, v) => (v === 'builtin') === builtin.has(n.name),
  };
  return <T extends NetworkRow>(list: T[]): T[] => list.filter((n) => [...by].every(([k, vs]) => vs.some((v) => tests[k]!(n, v))));
}
type NetworkRow = { id: string; name: string; driver: string; labels: Record<string, string> };
