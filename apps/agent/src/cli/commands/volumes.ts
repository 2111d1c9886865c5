import { groupHelpFor } from '../help.js';
import { io } from '../io.js';
import { parseFlags } from '../args.js';
import type { SkiffClient } from '../client.js';
import { CliError, messageOf } from '../errors.js';
import { table } from '../format.js';
import { renderInspect } from '../inspect-format.js';
import { renderListing } from '../listing.js';
import { naturalCompare, VOLUME_KIND, volumeRow } from '../listing-rows.js';

/** `skiff volume create|ls|inspect|rm|prune` */
export async function volumeCommand(client: SkiffClient, argv: string[]): Promise<number> {
  const [sub, ...rest] = argv;
  const help = groupHelpFor('volume', sub);
  if (help) throw help;
  switch (sub) {
    case 'create': {
      const { flags, args } = parseFlags(rest, { label: { type: 'string', short: 'l', multiple: true } }, { command: 'volume create' });
      const labels = Object.fromEntries((flags.label ?? []).map((l) => [l.split('=')[0]!, l.includes('=') ? l.slice(l.indexOf('=') + 1) : '']));
      const v = await client.volumes.create.mutate({ name: args[0], labels });
      io().stdout.write(`${v.name}\n`);
      return 0;
    }
    case 'ls':
    case 'list': {
      const { flags } = parseFlags(
        rest,
        {
          quiet: { type: 'boolean', short: 'q' },
          filter: { type: 'string', short: 'f', multiple: true },
          format: { type: 'string' },
        },
        { command: 'volume ls' },
      );
      const filters: { dangling?: boolean; label?: string[]; name?: string[] } = {};
      for (const f of flags.filter ?? []) {
        const [k, ...v] = f.split('=');
        const value = v.join('=');
        if (k === 'dangling') filters.dangling = value === 'true' || value === '1';
        else if (k === 'label') (filters.label ??= []).push(value);
        else if (k === 'name') (filters.name ??= []).push(value);
        else throw new CliError(`invalid filter '${f}' (supported: dangling=, label=, name=)`);
      }
      // sorted by name, as docker's CLI sorts them
      const list = (await client.volumes.list.query(filters)).sort((a, b) => naturalCompare(a.name, b.name));
      if (flags.quiet) io().stdout.write(list.map((v) => `${v.name}\n`).join(''));
      else if (flags.format) io().stdout.write(renderListing(flags.format, list.map(volumeRow), VOLUME_KIND));
      else
        io().stdout.write(
          table(
            ['DRIVER', 'VOLUME NAME'],
            list.map((v) => [v.driver, v.name]),
          ),
        );
      return 0;
    }
    case 'inspect': {
      const { flags, args } = parseFlags(rest, { format: { type: 'string', short: 'f' } }, { command: 'volume inspect' });
      if (!args.length) throw new CliError('"skiff volume inspect" requires at least 1 argument.');
      const out = [];
      for (const name of args) {
        const v = await client.volumes.inspect.query({ name });
        out.push({
          CreatedAt: v.createdAt,
          Driver: v.driver,
          Labels: v.labels,
          Mountpoint: v.mountpoint,
          Name: v.name,
          Options: null,
          Scope: 'local',
          UsedBy: v.usedBy,
        });
      }
      renderInspect(flags.format, out, (t) => io().stdout.write(t));
      return 0;
    }
    case 'rm':
    case 'remove': {
      const { flags, args } = parseFlags(rest, { force: { type: 'boolean', short: 'f' } }, { command: 'volume rm' });
      if (!args.length) throw new CliError('"skiff volume rm" requires at least 1 argument.');
      let code = 0;
      for (const name of args) {
        try {
          await client.volumes.remove.mutate({ name, force: !!flags.force });
          io().stdout.write(`${name}\n`);
        } catch (e) {
          io().stderr.write(`Error response from agent: ${messageOf(e)}\n`);
          code = 1;
        }
      }
      return code;
    }
    case 'prune': {
      const { flags } = parseFlags(
        rest,
        {
          all: { type: 'boolean', short: 'a' },
          force: { type: 'boolean', short: 'f' },
        },
        { command: 'volume prune' },
      );
      const r = await client.volumes.prune.mutate({ all: !!flags.all });
      io().stdout.write(`Deleted Volumes:\n${r.deleted.map((d) => `${d}\n`).join('')}\nTotal reclaimed space: ${r.spaceReclaimed}B\n`);
      return 0;
    }
    default:
      throw new CliError(`usage: skiff volume create|ls|inspect|rm|prune ...`);
  }
}
