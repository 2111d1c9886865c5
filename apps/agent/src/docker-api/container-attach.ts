import type { IncomingMessage } from 'node:http';
import type { Duplex } from 'node:stream';
import type { StdioSession } from '@skiff/runtime';
import type { AttachBackend } from './backend.js';
import { pipeSession } from './frames.js';
import { truthy } from './http.js';

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

/**
 * `POST /containers/{id}/attach?stream=1&stdout=1&stderr=1`: the connection is hijacked
 * (101 UPGRADED, then raw bytes both ways). Before start, the session is parked until the
 * start call creates it, so the first output is never missed.
 */
export async function attach(runtime: AttachBackend, pending: PendingAttaches, req: IncomingMessage, socket: Duplex, containerId: string, url: URL): Promise<void> {
  const info = await runtime.containers.inspect(containerId);
  const full = info.Id;
  const tty = info.Config.Tty;
  const running = info.State.Running;
  const wantStdin = truthy(url.searchParams.get('stdin'));
  const wantStdout = truthy(url.searchParams.get('stdout'));
  const wantStderr = truthy(url.searchParams.get('stderr'));
  const upgrade = req.headers.upgrade ? 'Connection: Upgrade\r\nUpgrade: tcp\r\n' : '';
  socket.write(`HTTP/1.1 ${upgrade ? '101 UPGRADED' : '200 OK'}\r\nContent-Type: ${tty ? 'application/vnd.docker.raw-stream' : 'application/vnd.docker.multiplexed-stream'}\r\n${upgrade}\r\n`);
  const wire = (session: StdioSession) => pipeSession(session, socket, { tty, stdout: wantStdout, stderr: wantStderr, stdin: wantStdin, onClose: () => session.detach() });
  if (running) wire(await runtime.containers.attach(full));
  else pending.park(full, wire, socket);
}
