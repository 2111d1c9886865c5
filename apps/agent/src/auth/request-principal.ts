import type { IncomingMessage } from 'node:http';
import { ANONYMOUS, ROOT, type Principal } from './principal.js';

/** the principal an access check found for a request, for code that runs later on it (no second lookup) */
const found = new WeakMap<IncomingMessage, Principal>();

export function rememberPrincipal(req: IncomingMessage, p: Principal): void {
  found.set(req, p);
}

export function rememberedPrincipal(req: IncomingMessage): Principal | undefined {
  return found.get(req);
}

/** the remembered principal; unchecked requests are root's on the unix socket (0600) and nobody's elsewhere */
export function principalOf(req: IncomingMessage): Principal {
  return found.get(req) ?? (req.socket.remoteAddress ? ANONYMOUS : ROOT);
}
