import type { App } from '@skiff/db';
import type { ContainerSummary } from '@skiff/runtime';
import { cleanupFailed } from '@skiff/logger';
import { APP_LABEL, DEPLOYMENT_LABEL, SECRET_ENV_LABEL, type AppContext } from './context.js';
import type { DeployLog } from './deploy-log.js';
import { waitHealthy } from './health.js';
import { envOf, healthCommandOf, sealedSecretsOf } from './record.js';
import type { Upstream } from './ports.js';

/** the containers of an app (all deployments, all states) */
export function appContainers(ctx: AppContext, name: string): Promise<ContainerSummary[]> {
  return ctx.runtime.containers.list({ all: true, filters: { label: [`${APP_LABEL}=${name}`] } });
}

/**
 * Starts the app's replicas of one deployment beside whatever runs, and waits until every
 * one is healthy; returns their upstreams. On failure the new containers are removed.
 */
export async function startReplicas(
  ctx: AppContext,
  app: App,
  deployment: { id: string; number: number },
  imageId: string,
  out: DeployLog,
  signal: AbortSignal,
): Promise<Upstream[]> {
  const plain = envOf(app);
  const secrets = Object.fromEntries(Object.entries(sealedSecretsOf(app)).map(([k, v]) => [k, ctx.secrets.open(v)]));
  const env = Object.entries({ ...plain, ...secrets }).map(([k, v]) => `${k}=${v}`);
  const ids: string[] = [];
  try {
    for (let i = 1; i <= app.replicas; i++) {
      signal.throwIfAborted();
      const { id } = await ctx.runtime.containers.create({
        image: imageId,
        name: `app-${app.name}-${deployment.number}-${i}`,
        env,
        labels: {
          [APP_LABEL]: app.name,
          [DEPLOYMENT_LABEL]: deployment.id,
          ...(Object.keys(secrets).length ? { [SECRET_ENV_LABEL]: Object.keys(secrets).sort().join(',') } : {}),
        },
        restartPolicy: { name: 'unless-stopped' },
      });
      ids.push(id);
      await ctx.runtime.containers.start(id);
      out.line(`started replica ${i}/${app.replicas} (${id.slice(0, 12)})`);
    }
    const plan = {
      port: app.port,
      path: app.healthPath ?? undefined,
      command: healthCommandOf(app),
      interval: app.healthInterval,
      timeout: app.healthTimeout,
      retries: app.healthRetries,
    };
    const hosts = await Promise.all(ids.map((id) => waitHealthy(ctx.runtime, id, plan, signal, (s) => out.line(s))));
    out.line(`all ${ids.length} replicas healthy`);
    return hosts.map((host) => ({ host, port: app.port }));
  } catch (e) {
    await tail(ctx, ids, out);
    await removeContainers(ctx, ids);
    throw e;
  }
}

/** the last lines of failed replicas go into the deployment's log: why it did not come up */
async function tail(ctx: AppContext, ids: string[], out: DeployLog): Promise<void> {
  for (const id of ids) {
    try {
      const lines: string[] = [];
      for await (const e of ctx.runtime.containers.logs(id, { tail: 20, stdout: true, stderr: true })) lines.push(e.line);
      if (lines.length) out.line(`--- last output of ${id.slice(0, 12)} ---\n${lines.join('').trimEnd()}`);
    } catch (e) {
      ctx.log.warn("cannot read a failed replica's log", { container: id, err: e });
    }
  }
}

export async function removeContainers(ctx: AppContext, ids: string[]): Promise<void> {
  await Promise.all(
    ids.map((id) => ctx.runtime.containers.remove(id, { force: true }).catch(cleanupFailed(ctx.log, 'cannot remove an app container', { container: id }))),
  );
}

/** stops old replicas gracefully (SIGTERM, 10 s), then removes them */
export async function retireContainers(ctx: AppContext, ids: string[]): Promise<void> {
  await Promise.all(
    ids.map((id) => ctx.runtime.containers.stop(id, { timeout: 10 }).catch(cleanupFailed(ctx.log, 'cannot stop an old app container', { container: id }))),
  );
  await removeContainers(ctx, ids);
}
