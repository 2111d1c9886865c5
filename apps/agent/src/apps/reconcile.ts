import { DEPLOYMENT_LABEL, type AppContext } from './context.js';
import { IN_FLIGHT } from './record.js';
import { appContainers, removeContainers } from './replicas.js';
import { publishRoutes } from './routes.js';
import { firstIp } from './health.js';
import type { Upstream } from './ports.js';

/**
 * At the agent's start: deployments that were in flight are failed ("agent restarted") and
 * their containers removed; each live app's routes are published again from its running
 * containers (the runtime's state on disk is the truth, the database only says which
 * deployment is current). Stopped replicas of the current deployment are started.
 */
export async function reconcileApps(ctx: AppContext): Promise<void> {
  const stale = await ctx.db.deployment.findMany({ where: { status: { in: [...IN_FLIGHT] } }, include: { app: { select: { name: true } } } });
  for (const d of stale) {
    await ctx.db.deployment.update({ where: { id: d.id }, data: { status: 'failed', error: 'agent restarted', finishedAt: new Date() } });
    ctx.log.warn('a deployment was in flight when the agent stopped: marked failed', { app: d.app.name, deployment: d.id });
  }
  const apps = await ctx.db.app.findMany();
  for (const app of apps) {
    try {
      const containers = await appContainers(ctx, app.name);
      const current = containers.filter((c) => app.currentDeploymentId && c.labels[DEPLOYMENT_LABEL] === app.currentDeploymentId);
      // leftovers: replicas of failed deploys, and old ones whose drain the stop cut short
      const others = containers.filter((c) => !current.includes(c));
      if (current.length)
        await removeContainers(
          ctx,
          others.map((c) => c.id),
        );
      const upstreams: Upstream[] = [];
      for (const c of current) {
        if (c.state !== 'running')
          await ctx.runtime.containers
            .start(c.id)
            .catch((e: Error) => ctx.log.warn('cannot start a replica of a live app', { app: app.name, container: c.id, err: e }));
        const ip = firstIp(await ctx.runtime.containers.inspect(c.id));
        if (ip) upstreams.push({ host: ip, port: app.port });
      }
      if (upstreams.length) await publishRoutes(ctx, app, upstreams);
      else if (app.currentDeploymentId) ctx.log.warn('a live app has no running container: no routes published', { app: app.name });
    } catch (e) {
      ctx.log.error("cannot restore an app's routes", { app: app.name, err: e });
    }
  }
}
