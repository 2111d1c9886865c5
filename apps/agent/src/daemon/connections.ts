import type { Server } from 'node:http';
import type { Socket } from 'node:net';

/**
 * Every connection of the agent's listeners, at the socket level: an upgraded one (a CLI
 * call, a WebSocket, a Docker attach/exec) leaves the HTTP server's own bookkeeping, so
 * `closeAllConnections` never reaches it, yet `server.close()` waits for it. A stalled or
 * vanished client would then keep the agent from ever exiting; `drain` bounds that.
 */
export class ConnectionTracker {
  private readonly sockets = new Set<Socket>();
  private readonly servers: Server[] = [];

  track(srv: Server): void {
    this.servers.push(srv);
    srv.on('connection', (s: Socket) => {
      this.sockets.add(s);
      s.once('close', () => this.sockets.delete(s));
    });
  }

  get open(): number {
    return this.sockets.size;
  }

  /** No new connections; idle keep-alive ones go now, the rest are left to finish their streams. */
  stopAccepting(log: (line: string) => void): void {
    for (const srv of this.servers) {
      srv.close((e) => e && (e as NodeJS.ErrnoException).code !== 'ERR_SERVER_NOT_RUNNING' && log(`shutdown: closing a listener failed: ${e.message}`));
      srv.closeIdleConnections();
    }
  }

  /**
   * Waits up to `graceMs` for the open connections to close (their streams were told to
   * end), then destroys the rest: a client that stopped reading or vanished. Resolves with
   * how many were destroyed.
   */
  async drain(graceMs: number): Promise<number> {
    const deadline = Date.now() + graceMs;
    while (this.sockets.size && Date.now() < deadline) {
      await new Promise((r) => setTimeout(r, 50));
      for (const srv of this.servers) srv.closeIdleConnections();
    }
    const left = [...this.sockets];
    for (const s of left) s.destroy();
    this.sockets.clear();
    return left.length;
  }
}
