import type { Db } from '@skiff/db';
import { logger } from '@skiff/logger';
import { NotFound, type Runtime } from '@skiff/runtime';
import type { SecretBox } from '../auth/secrets.js';
import type { AppContext } from './context.js';
import { createApp, loadApp, setVars, updateApp } from './create.js';
import { cancelDeploy, requestDeploy } from './deploy.js';
import { appLogs } from './logs.js';
import type { AppPorts } from './ports.js';
import { DeployQueue } from './queue.js';
import { appView, deploymentView } from './record.js';
import { reconcileApps } from './reconcile.js';
import { KeyedLock } from './keyed-lock.js';
import { followReplicas, refreshRoutes } from './route-sync.js';
import { removeApp } from './remove.js';
import { rollback } from './rollback.js';
import type { CreateAppInput, UpdateAppInput } from './spec.js';

/**
 * Applications (docs/apps.md): the one place that changes an app's containers and routes.
 * Each verb lives in its own file; this class holds what they share (the deploy queue, the
 * ports to the proxy, certificates and git).
 */
export class AppService {
  private readonly ctx: AppContext;
  private readonly stopping = new AbortController();

  constructor(deps: { db: Db; runtime: Runtime; secrets: SecretBox; root: string } & AppPorts) {
    this.ctx = {
      ...deps,
      queue: new DeployQueue(),
      log: logger.child({ component: 'apps' }),
      routed: new Map(),
      switching: new KeyedLock(),
      stopping: this.stopping.signal,
    };
  }

  /** the agent's start: in-flight deployments failed, live apps' routes published again */
  async start(): Promise<void> {
    await reconcileApps(this.ctx);
    this.unfollow = followReplicas(this.ctx);
  }
  private unfollow?: () => void;

  /** the agent's stop: running deploys are cancelled (their rows are failed at the next start) */
  close(): Promise<void> {
    this.stopping.abort(new Error('the agent is stopping'));
    this.unfollow?.();
    return this.ctx.queue.close('the agent is stopping');
  }

  create = (input: CreateAppInput, actor: string) => createApp(this.ctx, input, actor);
  /** settings apply at the next deploy, except domains and HTTPS: a live app's routes change at once */
  async update(input: UpdateAppInput, actor: string) {
    const app = await updateApp(this.ctx, input, actor);
    if (app.currentDeploymentId && (input.domains !== undefined || input.https !== undefined)) await refreshRoutes(this.ctx, input.name);
    return app;
  }
  setVars = (name: string, vars: Record<string, string | null>, secret: boolean, actor: string) => setVars(this.ctx, name, vars, secret, actor);
  remove = (name: string) => removeApp(this.ctx, name);
  logs = (name: string, opts: { tail: number; since?: number }) => appLogs(this.ctx, name, opts);
  cancel = (name: string, deploymentId: string, actor: string) => cancelDeploy(this.ctx, name, deploymentId, actor);

  /** queues a deploy; `done` settles when it is live or failed */
  deploy = (name: string, triggeredBy: string) => requestDeploy(this.ctx, name, { triggeredBy });
  rollback = (name: string, target: string | number | undefined, actor: string) => rollback(this.ctx, name, target, actor);

  async list() {
    const apps = await this.ctx.db.app.findMany({ orderBy: { name: 'asc' } });
    const current = await this.ctx.db.deployment.findMany({
      where: { id: { in: apps.flatMap((a) => (a.currentDeploymentId ? [a.currentDeploymentId] : [])) } },
    });
    const byId = new Map(current.map((d) => [d.id, d]));
    return apps.map((a) => {
      const d = a.currentDeploymentId ? byId.get(a.currentDeploymentId) : undefined;
      return { ...appView(a), current: d ? deploymentView(d) : null, deploying: this.ctx.queue.busy(a.name) };
    });
  }

  async get(name: string) {
    const app = await loadApp(this.ctx, name);
    const current = app.currentDeploymentId ? await this.ctx.db.deployment.findUnique({ where: { id: app.currentDeploymentId } }) : null;
    return {
      ...appView(app),
      current: current ? deploymentView(current) : null,
      upstreams: this.ctx.routed.get(name) ?? [],
      deploying: this.ctx.queue.busy(name),
    };
  }

  async deployments(name: string, opts: { limit: number }) {
    const app = await loadApp(this.ctx, name);
    const rows = await this.ctx.db.deployment.findMany({ where: { appId: app.id }, orderBy: { number: 'desc' }, take: opts.limit });
    return rows.map(deploymentView);
  }

  /** one deployment with its log, by id or number */
  async deployment(name: string, ref: string | number) {
    const app = await loadApp(this.ctx, name);
    const d = await this.ctx.db.deployment.findFirst({ where: typeof ref === 'number' ? { appId: app.id, number: ref } : { appId: app.id, id: ref } });
    if (!d) throw new NotFound(`no deployment ${ref} of "${name}"`);
    return { ...deploymentView(d), log: d.log };
  }

  /** the webhook secret in clear (the webhook route verifies signatures with it) */
  async webhookSecret(name: string): Promise<string | undefined> {
    const app = await loadApp(this.ctx, name);
    return app.webhookSecretSealed ? this.ctx.secrets.open(app.webhookSecretSealed) : undefined;
  }
}
