import type { ServerResponse } from 'node:http';
import type { Readable } from 'node:stream';
import { z } from 'zod';
import { InvalidArgument, type BuildEvent, type Runtime } from '@skiff/runtime';

/** A build event on the wire; `error` is the last line of a build that failed after it started. */
export type BuildStreamEvent = BuildEvent | { type: 'error'; message: string };

const buildQuery = z.object({
  tags: z.array(z.string().min(1).max(256)).max(32),
  dockerfile: z.string().min(1).max(4096).optional(),
  target: z.string().min(1).max(128).optional(),
  noCache: z.boolean(),
  network: z.enum(['default', 'bridge', 'host', 'none']).optional(),
  buildArgs: z.record(z.string(), z.string()),
});

function flag(v: string | null): boolean {
  return v === '1' || v === 'true';
}

/**
 * Docker's /build query (`t` repeated, `dockerfile`, `target`, `nocache`, `networkmode`,
 * `buildargs` as a JSON object of strings), validated before any of the body is read.
 */
export function parseBuildQuery(url: URL): z.infer<typeof buildQuery> {
  const q = url.searchParams;
  let buildArgs: unknown = {};
  const raw = q.get('buildargs');
  if (raw) {
    try {
      buildArgs = JSON.parse(raw);
    } catch {
      throw new InvalidArgument('buildargs must be a JSON object of strings, e.g. {"VERSION":"1.2"}');
    }
  }
  const parsed = buildQuery.safeParse({
    tags: q
      .getAll('t')
      .flatMap((t) => t.split(','))
      .map((t) => t.trim())
      .filter(Boolean),
    dockerfile: q.get('dockerfile') || undefined,
    target: q.get('target') || undefined,
    noCache: flag(q.get('nocache')),
    network: q.get('networkmode') || undefined,
    buildArgs,
  });
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    throw new InvalidArgument(`invalid build parameter ${issue.path.join('.') || ''}: ${issue.message}`.replace('parameter :', 'parameter:'));
  }
  return parsed.data;
}

/** the query as the runtime's build options (Docker's "default" network is the runtime's default) */
export function buildOptionsOf(q: z.infer<typeof buildQuery>) {
  return {
    tags: q.tags,
    dockerfile: q.dockerfile,
    target: q.target,
    noCache: q.noCache,
    network: q.network === 'default' ? undefined : q.network,
    buildArgs: q.buildArgs,
  };
}

/**
 * Runs a build from an uploaded context and streams its events as JSON lines. The answer
 * starts (200) before the build does, so a failure is the stream's last line, not a status.
 * A client that goes away cancels the build: its RUN container is killed.
 */
export async function streamBuild(runtime: Runtime, context: Readable, url: URL, res: ServerResponse): Promise<string> {
  const q = parseBuildQuery(url);
  const ac = new AbortController();
  res.once('close', () => {
    if (!res.writableFinished) ac.abort(new Error('the client went away: build cancelled'));
  });
  res.writeHead(200, { 'content-type': 'application/x-ndjson', 'cache-control': 'no-store', 'x-content-type-options': 'nosniff' });
  const send = (e: BuildStreamEvent) => {
    if (!res.destroyed) res.write(`${JSON.stringify(e)}\n`);
  };
  try {
    const { id } = await runtime.buildFromArchive(context, {
      ...buildOptionsOf(q),
      signal: ac.signal,
      onEvent: send,
    });
    res.end();
    return q.tags.length ? q.tags.join(',') : id;
  } catch (e) {
    send({ type: 'error', message: e instanceof Error ? e.message : String(e) });
    res.end();
    // the upload may have stopped being read midway; drop the rest
    context.resume();
    throw e;
  }
}
