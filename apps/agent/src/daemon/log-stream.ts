import { once } from 'node:events';
import type { ServerResponse } from 'node:http';
import { InvalidArgument, type Runtime } from '@skiff/runtime';
import { logsOptions } from '../schemas.js';
import { onStopping, SHUTDOWN_MESSAGE } from './stopping.js';

const flag = (v: string | null): boolean | undefined => (v === null ? undefined : v === '' || v === '1' || v === 'true');
const num = (v: string | null): number | undefined => (v === null || v === '' ? undefined : Number(v));

/**
 * `GET /api/containers/{id}/logs?follow&tail&since&until&timestamps&stdout&stderr`: the log
 * as Docker's multiplexed stream (8-byte frame headers, 1 = stdout, 2 = stderr), the form the
 * runtime reads fastest (see log-frames.c). What `skiff logs` reads; tRPC's `logChunks`
 * carries the same lines as JSON for the dashboard.
 */
export async function streamLogs(runtime: Runtime, id: string, url: URL, res: ServerResponse): Promise<void> {
  const q = url.searchParams;
  const parsed = logsOptions.safeParse({
    follow: flag(q.get('follow')),
    tail: q.get('tail') === 'all' ? undefined : num(q.get('tail')),
    since: num(q.get('since')),
    until: num(q.get('until')),
    timestamps: flag(q.get('timestamps')),
    stdout: flag(q.get('stdout')),
    stderr: flag(q.get('stderr')),
  });
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    throw new InvalidArgument(`invalid logs parameter ${issue.path.join('.')}: ${issue.message}`);
  }
  await sendLogBytes(res, { 'content-type': 'application/vnd.docker.multiplexed-stream' }, (signal) =>
    runtime.containers.logStream(id, { ...parsed.data, signal }),
  );
}

/**
 * A log's bytes onto an HTTP response as they come, with back-pressure, until the log ends
 * or the client goes away (which ends the follow). `open` runs before anything is sent, so
 * its NotFound still becomes an error status. Serves `skiff logs` and the Docker API's
 * `/containers/{id}/logs`.
 */
export async function sendLogBytes(res: ServerResponse, headers: Record<string, string>, open: (signal: AbortSignal) => AsyncIterable<Buffer>): Promise<void> {
  const ac = new AbortController();
  const stream = open(ac.signal);
  // the agent stopping ends a followed log, with a last frame that says why (below)
  let stopped = false;
  const offStopping = onStopping(() => {
    stopped = true;
    ac.abort();
  });
  res.once('close', () => ac.abort());
  res.writeHead(200, headers);
  try {
    for await (const bytes of stream) {
      // a client that went away or stopped reading never drains: its close (or the agent
      // stopping) aborts the wait, and returning the stream lets go of its log (issue 31)
      if (!res.write(bytes)) await once(res, 'drain', { signal: ac.signal });
    }
  } catch (e) {
    if (!ac.signal.aborted) throw e;
  } finally {
    offStopping();
  }
  if (stopped && headers['content-type'] === MULTIPLEXED) res.write(systemErrorFrame(SHUTDOWN_MESSAGE));
  res.end();
}

const MULTIPLEXED = 'application/vnd.docker.multiplexed-stream';

/**
 * Stream type 3 of Docker's multiplexed format, "systemerr": an error from the daemon in the
 * stream, which the docker CLI (stdcopy) and `skiff logs` show and exit non-zero on.
 */
export function systemErrorFrame(message: string): Buffer {
  const body = Buffer.from(message);
  const header = Buffer.alloc(8);
  header[0] = 3;
  header.writeUInt32BE(body.length, 4);
  return Buffer.concat([header, body]);
}
