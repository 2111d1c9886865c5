import { Conflict, NotFound } from '@skiff/runtime';
import type { AppContext } from './context.js';
import { loadApp } from './create.js';
import { requestDeploy } from './deploy.js';
import type { DeploymentView } from './record.js';

/**
 * Runs an earlier deployment's image again (no fetch, no build) as a new deployment.
 * Without a target: the last one that was live before the current one.
 */
export async function rollback(
  ctx: AppContext,
  name: string,
  target: string | number | undefined,
  actor: string,
): Promise<{ deployment: DeploymentView; done: Promise<void> }> {
  const app = await loadApp(ctx, name);
  const where =
    target === undefined
      ? { appId: app.id, status: { in: ['superseded', 'rolled-back'] }, imageId: { not: null }, id: { not: app.currentDeploymentId ?? '' } }
      : typeof target === 'number'
        ? { appId: app.id, number: target }
        : { appId: app.id, id: target };
  const to = await ctx.db.deployment.findFirst({ where, orderBy: { number: 'desc' } });
  if (!to) throw new NotFound(target === undefined ? `"${name}" has no earlier deployment to roll back to` : `no deployment ${target} of "${name}"`);
  if (!to.imageId)
    throw new Conflict(`deployment #${to.number} never got an image (it ${to.status === 'failed' ? 'failed before its build finished' : `is ${to.status}`})`);
  return requestDeploy(ctx, name, { triggeredBy: actor, rollbackOf: to });
}
