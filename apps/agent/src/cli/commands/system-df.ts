import { io } from '../io.js';
import { parseFlags } from '../args.js';
import type { SkiffClient } from '../client.js';
import { humanSize, shortId, table, timeAgo } from '../format.js';
import { splitRepoTag } from './images.js';
import { renderListing } from '../listing.js';
import { DF_KIND, dfRow } from '../system-format.js';

/** `skiff system df [-v] [--format TEMPLATE]`: the docker CLI's table, images counted by distinct layers */
export async function dfCommand(client: SkiffClient, argv: string[]): Promise<number> {
  const { flags } = parseFlags(argv, { verbose: { type: 'boolean', short: 'v' }, format: { type: 'string' } }, { command: 'system df' });
  const d = await client.system.df.query();
  if (!flags.verbose) {
    const rows = [dfRow('Images', d.images), dfRow('Containers', d.containers), dfRow('Local Volumes', d.volumes)];
    io().stdout.write(renderListing(flags.format ?? 'table', rows, DF_KIND));
    return 0;
  }
  const images = d.images.items.flatMap((i) =>
    (i.repoTags.length ? i.repoTags : ['<none>:<none>']).map((t) => [
      ...splitRepoTag(t),
      shortId(i.id),
      timeAgo(Date.parse(i.created)),
      humanSize(i.size),
      humanSize(i.sharedSize),
      humanSize(i.uniqueSize),
      String(i.containers),
    ]),
  );
  io().stdout.write(
    `Images space usage:\n\n${table(['REPOSITORY', 'TAG', 'IMAGE ID', 'CREATED', 'SIZE', 'SHARED SIZE', 'UNIQUE SIZE', 'CONTAINERS'], images)}\n`,
  );
  io().stdout.write(
    `Containers space usage:\n\n${table(
      ['CONTAINER ID', 'NAMES', 'SIZE'],
      d.containers.items.map((c) => [shortId(c.id), c.name, humanSize(c.size)]),
    )}\n`,
  );
  io().stdout.write(
    `Local Volumes space usage:\n\n${table(
      ['VOLUME NAME', 'LINKS', 'SIZE'],
      d.volumes.items.map((v) => [v.name, String(v.usedBy), humanSize(v.size)]),
    )}`,
  );
  return 0;
}
