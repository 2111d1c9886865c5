import type { App } from '@skiff/db';
import type { AppContext } from './context.js';
import type { DeployLog } from './deploy-log.js';
import type { ProxyRoute, Upstream } from './ports.js';
import { domainsOf } from './record.js';

/**
 * Points the app's domains at these upstreams. With HTTPS, the certificates are asked for
 * first; when that fails the routes are published without HTTPS (the app stays reachable)
 * and the reason goes into the log.
 */
export async function publishRoutes(ctx: AppContext, app: App, upstreams: Upstream[], out?: DeployLog): Promise<void> {
  const domains = domainsOf(app);
  let https = app.https && domains.length > 0;
  if (https) {
    try {
      await ctx.certs.ensure(domains);
    } catch (e) {
      https = false;
      out?.line(`certificates for ${domains.join(', ')} failed, serving plain HTTP for now: ${(e as Error).message}`);
      ctx.log.warn('certificates failed; routes published without HTTPS', { app: app.name, err: e });
    }
  }
  const routes: ProxyRoute[] = domains.map((domain) => ({ domain, upstreams, https }));
  ctx.routes.setRoutes(app.name, routes);
  ctx.routed.set(app.name, upstreams);
  if (domains.length) out?.line(`routing ${domains.join(', ')} → ${upstreams.map((u) => `${u.host}:${u.port}`).join(', ')}`);
}

export function unpublishRoutes(ctx: AppContext, name: string): void {
  ctx.routes.deleteRoutes(name);
  ctx.routed.delete(name);
}
