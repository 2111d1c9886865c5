import { isUniqueViolation, type App, type Deployment } from '@skiff/db';
import { Conflict, NotFound } from '@skiff/runtime';
import { DEPLOYMENT_LABEL, type AppContext } from './context.js';
import { loadApp } from './create.js';
import { DeployLog } from './deploy-log.js';
import { obtainImage } from './image.js';
import { deploymentView, IN_FLIGHT, type DeploymentView } from './record.js';
import { appContainers, retireContainers, startReplicas } from './replicas.js';
import { publishRoutes } from './routes.js';
import { sleep } from './wait.js';

export interface DeployRequest {
  triggeredBy: string;
  /** a rollback: run this earlier deployment's image, no build */
  rollbackOf?: Deployment;
}

/** a new deployment, queued behind the app's running one; returns it at once */
export async function requestDeploy(ctx: AppContext, name: string, req: DeployRequest): Promise<{ deployment: DeploymentView; done: Promise<void> }> {
  const app = await loadApp(ctx, name);
  const deployment = await newDeployment(ctx, app, req);
  const done = ctx.queue.enqueue(app.name, deployment.id, (signal) => runDeploy(ctx, app.name, deployment.id, signal));
  // the caller may not wait; the deploy records its own failure
  done.catch((e: unknown) => ctx.log.debug('deploy ended with an error (recorded on the deployment)', { app: name, err: e }));
  return { deployment: deploymentView(deployment), done };
}

/** the next number, retried when two requests race for it (the unique index decides) */
async function newDeployment(ctx: AppContext, app: App, req: DeployRequest): Promise<Deployment> {
  for (let attempt = 0; ; attempt++) {
    const last = await ctx.db.deployment.findFirst({ where: { appId: app.id }, orderBy: { number: 'desc' }, select: { number: true } });
    try {
      return await ctx.db.deployment.create({
        data: {
          appId: app.id,
          number: (last?.number ?? 0) + 1,
          triggeredBy: req.triggeredBy,
          rollbackOf: req.rollbackOf?.id,
          imageId: req.rollbackOf?.imageId,
          imageRef: req.rollbackOf?.imageRef,
          commit: req.rollbackOf?.commit,
          message: req.rollbackOf ? `rollback to #${req.rollbackOf.number}${req.rollbackOf.message ? `: ${req.rollbackOf.message}` : ''}` : undefined,
        },
      });
    } catch (e) {
      if (!isUniqueViolation(e) || attempt >= 5) throw e;
    }
  }
}

async function setStatus(ctx: AppContext, id: string, status: string, extra: Partial<Deployment> = {}): Promise<void> {
  await ctx.db.deployment.update({ where: { id }, data: { status, ...extra } });
}

/** one deployment, start to finish; the old version serves until the new one is healthy */
async function runDeploy(ctx: AppContext, name: string, deploymentId: string, signal: AbortSignal): Promise<void> {
  const deployment = await ctx.db.deployment.findUnique({ where: { id: deploymentId } });
  if (!deployment) throw new NotFound(`deployment ${deploymentId} is gone`);
  // the log's saves write only the log, never over a newer status
  const log = new DeployLog(async (text) => {
    await ctx.db.deployment.update({ where: { id: deploymentId }, data: { log: text } });
  });
  try {
    signal.throwIfAborted();
    // settings as they are now (an update between the request and its turn applies)
    const app = await loadApp(ctx, name);
    await setStatus(ctx, deploymentId, 'building');
    log.line(`deployment #${deployment.number} of ${name}, by ${deployment.triggeredBy ?? 'unknown'}`);
    let imageId = deployment.imageId;
    if (!imageId) {
      const built = await obtainImage(ctx, app, deployment.number, log, signal, (commit, message) =>
        setStatus(ctx, deploymentId, 'building', { commit, message }),
      );
      imageId = built.imageId;
      await setStatus(ctx, deploymentId, 'building', { imageId, imageRef: built.imageRef, commit: built.commit, message: built.message });
    } else {
      // a rollback: the image must still be here
      await ctx.runtime.images.inspect(imageId).catch((e: Error) => {
        throw new NotFound(`the image of that deployment is gone (${imageId}): ${e.message}`);
      });
      log.line(`reusing image ${imageId}`);
    }
    await setStatus(ctx, deploymentId, 'starting');
    const upstreams = await startReplicas(ctx, app, deployment, imageId, log, signal);
    await setStatus(ctx, deploymentId, 'healthy');
    signal.throwIfAborted();
    // past this point the new version serves: a cancel no longer undoes it
    const previous = app.currentDeploymentId;
    await ctx.switching.run(app.name, async () => {
      await ctx.db.$transaction([
        ctx.db.deployment.updateMany({ where: { appId: app.id, status: 'live' }, data: { status: deployment.rollbackOf ? 'rolled-back' : 'superseded' } }),
        ctx.db.deployment.update({ where: { id: deploymentId }, data: { status: 'live', finishedAt: new Date() } }),
        ctx.db.app.update({ where: { id: app.id }, data: { currentDeploymentId: deploymentId } }),
      ]);
      await publishRoutes(ctx, app, upstreams, log);
    });
    log.line(`live (previous: ${previous ?? 'none'})`);
  } catch (e) {
    const why = signal.aborted ? `cancelled: ${(signal.reason as Error)?.message ?? 'cancelled'}` : (e as Error).message;
    log.line(`failed: ${why}`);
    await setStatus(ctx, deploymentId, 'failed', { error: why, finishedAt: new Date() });
    await log.flush();
    throw e;
  }
  // live now: what goes wrong retiring the old version is logged, the deployment stays live
  try {
    const app = await loadApp(ctx, name);
    await retireOld(ctx, app, deploymentId, log);
  } catch (e) {
    log.line(`the old containers were not all removed: ${(e as Error).message}`);
    ctx.log.warn("cannot retire an app's old containers (the next start removes them)", { app: name, err: e });
  } finally {
    await log.flush();
  }
}

/** after the drain delay (requests in flight to the old replicas finish), the old ones go */
async function retireOld(ctx: AppContext, app: App, liveId: string, out: DeployLog): Promise<void> {
  const old = (await appContainers(ctx, app.name)).filter((c) => c.labels[DEPLOYMENT_LABEL] !== liveId);
  if (!old.length) return;
  out.line(`draining ${old.length} old container(s) for ${app.drainSeconds}s`);
  // a cancel after the switch must not leave the old ones running: only the agent's stop cuts
  // the drain short (its next start removes them)
  await sleep(app.drainSeconds * 1000, ctx.stopping);
  await retireContainers(
    ctx,
    old.map((c) => c.id),
  );
  out.line('old containers removed');
}

/** cancels a queued or running deployment (one already live is not undone) */
export async function cancelDeploy(ctx: AppContext, name: string, deploymentId: string, actor: string): Promise<void> {
  const app = await loadApp(ctx, name);
  const d = await ctx.db.deployment.findFirst({ where: { id: deploymentId, appId: app.id } });
  if (!d) throw new NotFound(`no deployment ${deploymentId} of "${name}"`);
  if (!(IN_FLIGHT as readonly string[]).includes(d.status) || !ctx.queue.cancel(d.id, `by ${actor}`))
    throw new Conflict(`deployment #${d.number} is ${d.status}, not queued or running`);
  // one still waiting says so at once (its turn only confirms it); a running one when it has unwound
  if (d.status === 'queued')
    await ctx.db.deployment.updateMany({
      where: { id: d.id, status: 'queued' },
      data: { status: 'failed', error: `cancelled: by ${actor}`, finishedAt: new Date() },
    });
}
