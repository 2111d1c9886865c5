import type { Duplex } from 'node:stream';
import type { Principal } from './principal.js';
import { revocations } from './revocation.js';

/** long-lived HTTP connections (followed logs, builds, Docker attach/exec streams) and who opened them */
const tracked = new Map<Duplex, Principal>();

revocations.onRevoke(() => {
  for (const [socket, p] of tracked) {
    if (revocations.isCurrent(p)) continue;
    tracked.delete(socket);
    socket.destroy();
  }
});

/**
 * Cuts this connection when its principal is revoked: a stream that outlives one request's
 * authentication (a followed log, an exec session on a hijacked socket) ends with it.
 */
export function cutOnRevoke(socket: Duplex, p: Principal): void {
  if (p.kind === 'root' || p.kind === 'anonymous') return;
  if (!tracked.has(socket)) socket.once('close', () => tracked.delete(socket));
  tracked.set(socket, p);
}
