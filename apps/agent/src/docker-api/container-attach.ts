import type { IncomingMessage, ServerResponse } from 'node:http';
import { Duplex } from 'node:stream';
import type { StdioSession } from '@skiff/runtime';
import type { AttachBackend } from './backend.js';
import { requireRunning } from './container-state.js';
import { pipeSession } from './frames.js';
import { API_VERSION, DockerApiError, truthy } from './http.js';
import { param, type Route } from './route.js';

type Wire = (session: StdioSession) => void;

/**
 * Attach connections opened before their container's start, by full container id: the
 * start call takes the one waiting and hands it the process's stdio (Docker's
 * attach-then-start), so the first output is never missed.
 */
export class PendingAttaches {
  private readonly waiting = new Map<string, Wire>();

  /** the attach waiting for this container, no longer parked */
  take(containerId: string): Wire | undefined {
    const wire = this.waiting.get(containerId);
    if (wire) this.waiting.delete(containerId);
    return wire;
  }

  /** parks `wire` until the start; it goes when its connection closes first */
  park(containerId: string, wire: Wire, socket: Duplex): void {
    this.waiting.set(containerId, wire);
    socket.on('close', () => {
      if (this.waiting.get(containerId) === wire) this.waiting.delete(containerId);
    });
  }
}

interface AttachTarget {
  full: string;
  tty: boolean;
  running: boolean;
}

async function attachTarget(runtime: AttachBackend, containerId: string): Promise<AttachTarget> {
  const info = await runtime.containers.inspect(containerId);
  return { full: String(info.Id), tty: !!(info.Config as { Tty?: boolean }).Tty, running: !!(info.State as { Running?: boolean }).Running };
}

const streamType = (tty: boolean) => (tty ? 'application/vnd.docker.raw-stream' : 'application/vnd.docker.multiplexed-stream');

/** the session onto `link` now if the container runs, else at its start */
async function wireUp(runtime: AttachBackend, pending: PendingAttaches, t: AttachTarget, link: Duplex, url: URL, stdin: boolean): Promise<void> {
  const q = url.searchParams;
  const wire = (session: StdioSession) =>
    pipeSession(session, link, { tty: t.tty, stdout: truthy(q.get('stdout')), stderr: truthy(q.get('stderr')), stdin, onClose: () => session.detach() });
  if (t.running) wire(await runtime.containers.attach(t.full));
  else pending.park(t.full, wire, link);
}

/**
 * `POST /containers/{id}/attach?stream=1&stdout=1&stderr=1`: the connection is hijacked
 * (101 UPGRADED, then raw bytes both ways). Before start, the session is parked until the
 * start call creates it, so the first output is never missed.
 */
export async function attach(
  runtime: AttachBackend,
  pending: PendingAttaches,
  req: IncomingMessage,
  socket: Duplex,
  containerId: string,
  url: URL,
): Promise<void> {
  const t = await attachTarget(runtime, containerId);
  const upgrade = req.headers.upgrade ? 'Connection: Upgrade\r\nUpgrade: tcp\r\n' : '';
  socket.write(`HTTP/1.1 ${upgrade ? '101 UPGRADED' : '200 OK'}\r\nContent-Type: ${streamType(t.tty)}\r\n${upgrade}\r\n`);
  await wireUp(runtime, pending, t, socket, url, truthy(url.searchParams.get('stdin')));
}

/**
 * An HTTP response as the write side of an attach, the request body as its read side:
 * closing the connection closes it, the session's end ends the response.
 */
class ResponseLink extends Duplex {
  constructor(private readonly res: ServerResponse) {
    super();
    res.once('close', () => this.destroy());
  }

  override _read(): void {}

  override _write(chunk: Buffer, _enc: BufferEncoding, done: (e?: Error | null) => void): void {
    this.res.write(chunk, () => done());
  }

  override _final(done: () => void): void {
    this.res.end(done);
  }
}

/** attach and resize as plain requests (the hijacked attach is served by the server's upgrade handler) */
export function attachRoutes(pending: PendingAttaches): Route<AttachBackend>[] {
  return [
    {
      // dockerode's `run` and `attach` without hijack: a streamed response, no upgrade (dockerd serves it the same way); output only
      method: 'POST',
      pattern: /^\/containers\/([^/]+)\/attach$/,
      async handle(c) {
        const t = await attachTarget(c.runtime, param(c));
        c.req.resume();
        c.res.writeHead(200, { 'content-type': streamType(t.tty), 'api-version': API_VERSION });
        c.res.flushHeaders();
        await wireUp(c.runtime, pending, t, new ResponseLink(c.res), c.url, false);
      },
    },
    {
      // `docker run -it` / `docker attach` on a TTY: the window size, through a short attach to the shim (which sets it on the pty)
      method: 'POST',
      pattern: /^\/containers\/([^/]+)\/resize$/,
      async handle(c) {
        const rows = Number(c.url.searchParams.get('h'));
        const cols = Number(c.url.searchParams.get('w'));
        if (!(Number.isInteger(rows) && Number.isInteger(cols) && rows > 0 && cols > 0 && rows < 65536 && cols < 65536))
          throw new DockerApiError(400, 'resize needs h and w (1 to 65535)');
        const t = await attachTarget(c.runtime, param(c));
        requireRunning({ id: t.full, running: t.running, paused: false });
        if (t.tty) await resizeTty(c.runtime, t.full, rows, cols);
        c.res.writeHead(200, { 'api-version': API_VERSION }).end();
      },
    },
  ];
}

/** one resize frame on a fresh attach connection; the shim applies frames in order before it sees the close */
async function resizeTty(runtime: AttachBackend, id: string, rows: number, cols: number): Promise<void> {
  const session = await runtime.containers.attach(id);
  session.resize(rows, cols);
  // the frame is written before the close: detach after the write has been handed to the kernel
  await new Promise<void>((resolve) => setImmediate(resolve));
  session.detach();
}
