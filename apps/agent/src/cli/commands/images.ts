import { io } from '../io.js';
import type { ImageSummary, PullProgress } from '@skiff/runtime';
import { parseFlags } from '../args.js';
import type { SkiffClient } from '../client.js';
import { CliError } from '../errors.js';
import { humanSize, shortId, table, timeAgo, truncate } from '../format.js';
import { renderListing } from '../listing.js';
import { IMAGE_KIND, imageRows } from '../listing-rows.js';
import { HISTORY_KIND, historyRow } from '../listing-more.js';

const STATUS_TEXT: Record<PullProgress['status'], string> = {
  resolving: 'Resolving',
  waiting: 'Waiting',
  downloading: 'Downloading',
  verifying: 'Verifying Checksum',
  extracting: 'Extracting',
  done: 'Pull complete',
  exists: 'Already exists',
};

/** Pulls with Docker-like progress lines (one per layer state change, not per byte). */
export function pullImage(client: SkiffClient, ref: string, opts: { quiet: boolean; stream: NodeJS.WritableStream }): Promise<void> {
  return new Promise((resolve, reject) => {
    const last = new Map<string, string>();
    if (!opts.quiet) opts.stream.write(`Pulling from ${ref}\n`);
    const sub = client.images.pull.subscribe(
      { ref },
      {
        onData(ev) {
          if ('image' in ev && ev.image) {
            if (!opts.quiet) {
              opts.stream.write(`Digest: ${ev.image.repoDigests[0]?.split('@')[1] ?? ev.image.id}\n`);
              opts.stream.write(`Status: Downloaded image for ${ref}\n`);
            }
            sub.unsubscribe();
            resolve();
            return;
          }
          if (!('progress' in ev) || opts.quiet) return;
          const p = ev.progress;
          if (p.id === 'manifest') return;
          const text = STATUS_TEXT[p.status];
          if (last.get(p.id) === text) return;
          last.set(p.id, text);
          opts.stream.write(`${shortId(p.id)}: ${text}${p.total && p.status === 'downloading' ? ` (${humanSize(p.total)})` : ''}\n`);
        },
        onError: reject,
      },
    );
  });
}

export async function pullCommand(client: SkiffClient, argv: string[]): Promise<number> {
  const { flags, args } = parseFlags(argv, { quiet: { type: 'boolean', short: 'q' } }, { command: 'pull' });
  if (args.length !== 1) throw new CliError('"skiff pull" requires exactly 1 argument.\nUsage: skiff pull [OPTIONS] NAME[:TAG|@DIGEST]');
  await pullImage(client, args[0]!, { quiet: !!flags.quiet, stream: io().stdout });
  if (flags.quiet) io().stdout.write(`${args[0]}\n`);
  return 0;
}

export function splitRepoTag(t: string): [string, string] {
  const i = t.lastIndexOf(':');
  return i > t.lastIndexOf('/') ? [t.slice(0, i), t.slice(i + 1)] : [t, '<none>'];
}

/** `--filter k=v`, repeated, grouped by key as docker sends them; the agent checks the keys and values */
export function imageFilters(given: string[], args: string[]): Record<string, string[]> {
  const filters: Record<string, string[]> = {};
  for (const f of given) {
    const eq = f.indexOf('=');
    if (eq < 1) throw new CliError(`bad format of filter (expected name=value): ${f}`);
    (filters[f.slice(0, eq)] ??= []).push(f.slice(eq + 1));
  }
  // `skiff images busybox` is docker's reference filter on the argument
  if (args.length > 1) throw new CliError('"skiff images" accepts at most 1 argument.\nUsage: skiff images [OPTIONS] [REPOSITORY[:TAG]]');
  if (args[0]) (filters.reference ??= []).push(args[0]);
  return filters;
}

export async function imagesCommand(client: SkiffClient, argv: string[]): Promise<number> {
  const { flags, args } = parseFlags(
    argv,
    {
      quiet: { type: 'boolean', short: 'q' },
      all: { type: 'boolean', short: 'a' },
      format: { type: 'string' },
      digests: { type: 'boolean' },
      'no-trunc': { type: 'boolean' },
      filter: { type: 'string', short: 'f', multiple: true },
    },
    { command: 'images' },
  );
  const filters = imageFilters(flags.filter ?? [], args);
  const images: ImageSummary[] = await client.images.list.query({ all: !!flags.all, ...(Object.keys(filters).length ? { filters } : {}) });
  const custom = flags.format && flags.format.trim() !== 'table';
  // docker images: a custom format wins over -q (docker ps warns and does the opposite)
  if (custom || (flags.format && !flags.quiet)) {
    const kind = flags.digests ? { ...IMAGE_KIND, defaultTable: IMAGE_KIND.defaultTable.replace('\\t{{.ID}}', '\\t{{.Digest}}\\t{{.ID}}') } : IMAGE_KIND;
    io().stdout.write(
      renderListing(
        flags.format!,
        images.flatMap((i) => imageRows(i, !flags['no-trunc'])),
        kind,
      ),
    );
    return 0;
  }
  if (flags.quiet) {
    io().stdout.write([...new Set(images.map((i) => (flags['no-trunc'] ? i.id : shortId(i.id))))].map((i) => `${i}\n`).join(''));
    return 0;
  }
  const rows: string[][] = [];
  for (const i of images) {
    const tags = i.repoTags.length ? i.repoTags : ['<none>:<none>'];
    for (const t of tags) {
      const [repo, tag] = splitRepoTag(t);
      rows.push([repo, tag, flags['no-trunc'] ? i.id : shortId(i.id), timeAgo(Date.parse(i.created)), humanSize(i.size)]);
    }
  }
  io().stdout.write(table(['REPOSITORY', 'TAG', 'IMAGE ID', 'CREATED', 'SIZE'], rows));
  return 0;
}

export async function rmiCommand(client: SkiffClient, argv: string[]): Promise<number> {
  const { flags, args } = parseFlags(argv, { force: { type: 'boolean', short: 'f' } }, { command: 'rmi' });
  if (!args.length) throw new CliError('"skiff rmi" requires at least 1 argument.');
  let code = 0;
  for (const ref of args) {
    try {
      const r = await client.images.remove.mutate({ ref, force: !!flags.force });
      for (const u of r.untagged) io().stdout.write(`Untagged: ${u}\n`);
      for (const d of r.deleted) io().stdout.write(`Deleted: ${d}\n`);
    } catch (e) {
      io().stderr.write(`Error response from agent: ${(e as Error).message}\n`);
      code = 1;
    }
  }
  return code;
}

export async function tagCommand(client: SkiffClient, argv: string[]): Promise<number> {
  const { args } = parseFlags(argv, {}, { command: 'tag' });
  if (args.length !== 2) throw new CliError('"skiff tag" requires exactly 2 arguments.\nUsage: skiff tag SOURCE_IMAGE[:TAG] TARGET_IMAGE[:TAG]');
  await client.images.tag.mutate({ source: args[0]!, target: args[1]! });
  return 0;
}

/** `skiff history [--human=false] [--no-trunc] [-q] IMAGE`: build steps, newest first */
export async function historyCommand(client: SkiffClient, argv: string[]): Promise<number> {
  const { flags, args } = parseFlags(
    argv,
    {
      human: { type: 'boolean', short: 'H' },
      'no-trunc': { type: 'boolean' },
      quiet: { type: 'boolean', short: 'q' },
      format: { type: 'string' },
    },
    { command: 'history' },
  );
  if (args.length !== 1) throw new CliError('"skiff history" requires exactly 1 argument.\nUsage: skiff history [OPTIONS] IMAGE');
  const entries = await client.images.history.query({ ref: args[0]! });
  const noTrunc = !!flags['no-trunc'];
  const id = (i: string) => (i === '<missing>' || noTrunc ? i : shortId(i));
  if (flags.quiet) {
    io().stdout.write(entries.map((e) => `${id(e.id)}\n`).join(''));
    return 0;
  }
  if (flags.format === 'json') {
    for (const e of entries) io().stdout.write(`${JSON.stringify(e)}\n`);
    return 0;
  }
  const human = flags.human !== false;
  if (flags.format) {
    io().stdout.write(
      renderListing(
        flags.format,
        entries.map((e) => historyRow(e, { trunc: !noTrunc, human })),
        HISTORY_KIND,
      ),
    );
    return 0;
  }
  const rows = entries.map((e) => [
    id(e.id),
    e.created ? (human ? timeAgo(Date.parse(e.created)) : e.created) : 'N/A',
    noTrunc ? e.createdBy : truncate(e.createdBy.replace(/\s+/g, ' '), 45),
    human ? humanSize(e.size) : String(e.size),
    e.comment,
  ]);
  io().stdout.write(table(['IMAGE', 'CREATED', 'CREATED BY', 'SIZE', 'COMMENT'], rows));
  return 0;
}

/**
 * `skiff push NAME[:TAG]`: with the credentials saved by `skiff login` for its registry;
 * `--compression zstd` (Skiff's own flag) compresses plain-tar layers with zstd instead of gzip
 */
export async function pushCommand(client: SkiffClient, argv: string[]): Promise<number> {
  const { flags, args } = parseFlags(argv, { quiet: { type: 'boolean', short: 'q' }, compression: { type: 'string' } }, { command: 'push' });
  if (args.length !== 1) throw new CliError('"skiff push" requires exactly 1 argument.\nUsage: skiff push [OPTIONS] NAME[:TAG]');
  const compression = flags.compression as string | undefined;
  if (compression !== undefined && compression !== 'gzip' && compression !== 'zstd') {
    throw new CliError(`invalid argument "${compression}" for "--compression" flag: must be gzip or zstd`);
  }
  const ref = args[0]!;
  if (!flags.quiet) io().stdout.write(`The push refers to repository [${ref.replace(/[:@][^:/@]*$/, '')}]\n`);
  const { digest } = await client.images.push.mutate({ ref, ...(compression ? { compression } : {}) });
  const tag = /:([^:/@]+)$/.exec(ref)?.[1] ?? 'latest';
  io().stdout.write(flags.quiet ? `${ref}\n` : `${tag}: digest: ${digest}\n`);
  return 0;
}
