import type { RuntimeEvent } from '@skiff/runtime';
import { APP_LABEL, DEPLOYMENT_LABEL, type AppContext } from './context.js';
import { firstIp } from './health.js';
import type { Upstream } from './ports.js';
import { appContainers } from './replicas.js';
import { publishRoutes } from './routes.js';

/**
 * The routes follow the replicas that serve: when one of the live deployment's containers
 * starts again (restart policy, a host reboot) it may have a new address, and one that died
 * must not get requests. Also used when an app's domains change and at the agent's start.
 */
export async function refreshRoutes(ctx: AppContext, name: string): Promise<number> {
  return ctx.switching.run(name, async () => {
    const app = await ctx.db.app.findUnique({ where: { name } });
    if (!app?.currentDeploymentId) return 0;
    const upstreams: Upstream[] = [];
    for (const c of await appContainers(ctx, name)) {
      if (c.labels[DEPLOYMENT_LABEL] !== app.currentDeploymentId || c.state !== 'running') continue;
      const ip = firstIp(await ctx.runtime.containers.inspect(c.id));
      if (ip) upstreams.push({ host: ip, port: app.port });
    }
    await publishRoutes(ctx, app, upstreams);
    return upstreams.length;
  });
}

/** refreshes an app's routes shortly after its containers start or die (a burst is one refresh) */
export function followReplicas(ctx: AppContext): () => void {
  const pending = new Map<string, NodeJS.Timeout>();
  const off = ctx.runtime.onEvent((e: RuntimeEvent) => {
    const name = e.attributes[APP_LABEL];
    if (e.type !== 'container' || !name || (e.action !== 'start' && e.action !== 'die')) return;
    clearTimeout(pending.get(name));
    pending.set(
      name,
      setTimeout(() => {
        pending.delete(name);
        refreshRoutes(ctx, name).catch((err: Error) => ctx.log.warn("cannot refresh an app's routes", { app: name, err }));
      }, 200),
    );
  });
  return () => {
    off();
    for (const t of pending.values()) clearTimeout(t);
  };
}
