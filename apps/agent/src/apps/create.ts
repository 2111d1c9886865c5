import { isUniqueViolation, type App } from '@skiff/db';
import { Conflict, InvalidArgument, NotFound } from '@skiff/runtime';
import { newSecret } from '../auth/secrets.js';
import { newDeployKey } from './deploy-key.js';
import type { AppContext } from './context.js';
import { appView, domainsOf, type AppView } from './record.js';
import type { CreateAppInput, UpdateAppInput } from './spec.js';

export async function loadApp(ctx: AppContext, name: string): Promise<App> {
  const app = await ctx.db.app.findUnique({ where: { name } });
  if (!app) throw new NotFound(`no app named "${name}"`);
  return app;
}

/** the stored fields of the shared settings (create and update) */
function fieldsOf(ctx: AppContext, input: Omit<UpdateAppInput, 'name'>) {
  return {
    port: input.port,
    replicas: input.replicas,
    env: input.env && JSON.stringify(input.env),
    secrets: input.secrets && JSON.stringify(Object.fromEntries(Object.entries(input.secrets).map(([k, v]) => [k, ctx.secrets.seal(v)]))),
    domains: input.domains && JSON.stringify([...new Set(input.domains)]),
    https: input.https,
    healthPath: input.health ? (input.health.path ?? null) : undefined,
    healthCommand: input.health ? (input.health.command ? JSON.stringify(input.health.command) : null) : undefined,
    healthInterval: input.health?.interval,
    healthTimeout: input.health?.timeout,
    healthRetries: input.health?.retries,
    drainSeconds: input.drainSeconds,
  };
}

/** a domain routes to one app only */
async function checkDomainsFree(ctx: AppContext, name: string, domains: string[] | undefined): Promise<void> {
  if (!domains?.length) return;
  const others = await ctx.db.app.findMany({ where: { name: { not: name } }, select: { name: true, domains: true } });
  for (const o of others) {
    const taken = domains.find((d) => domainsOf(o).includes(d));
    if (taken) throw new Conflict(`the domain "${taken}" is already routed to the app "${o.name}"`);
  }
}

/** a new app (not deployed yet); a git app's webhook secret is returned this once */
export async function createApp(ctx: AppContext, input: CreateAppInput, actor: string): Promise<{ app: AppView; webhookSecret?: string }> {
  await checkDomainsFree(ctx, input.name, input.domains);
  const s = input.source;
  if (s.kind === 'git' && s.deployKey && s.token) throw new InvalidArgument('a git source takes a token or a deploy key, not both');
  const key = s.kind === 'git' && s.deployKey ? newDeployKey(`skiff-app-${input.name}`) : undefined;
  const webhookSecret = s.kind === 'git' ? newSecret() : undefined;
  const gitAuth = s.kind === 'git' && s.token ? ctx.secrets.seal(JSON.stringify({ kind: 'token', token: s.token, username: s.username })) : undefined;
  try {
    const app = await ctx.db.app.create({
      data: {
        name: input.name,
        sourceKind: s.kind,
        gitUrl: s.kind === 'git' ? s.url : null,
        branch: s.kind === 'git' ? s.branch : null,
        path: s.kind === 'git' ? (s.path ?? null) : null,
        image: s.kind === 'image' ? s.image : null,
        buildKind: input.build ?? 'dockerfile',
        ...stripUndefined(fieldsOf(ctx, input)),
        webhookSecretSealed: webhookSecret && ctx.secrets.seal(webhookSecret),
        gitAuthSealed: gitAuth,
        deployKeySealed: key && ctx.secrets.seal(key.privateKey),
        deployKeyPublic: key?.publicKey,
        updatedBy: actor,
      },
    });
    return { app: appView(app), webhookSecret };
  } catch (e) {
    if (isUniqueViolation(e)) throw new Conflict(`an app named "${input.name}" already exists`);
    throw e;
  }
}

/** changes settings; they apply at the next deploy (domains at once when the app is live) */
export async function updateApp(ctx: AppContext, input: UpdateAppInput, actor: string): Promise<AppView> {
  const app = await loadApp(ctx, input.name);
  await checkDomainsFree(ctx, input.name, input.domains);
  const source = app.sourceKind === 'git' ? { branch: input.branch, path: input.path } : { image: input.image };
  const { secrets, ...fields } = fieldsOf(ctx, input);
  // secrets given here are merged into those stored (set-vars unsets them one by one)
  const merged = secrets ? JSON.stringify({ ...JSON.parse(app.secrets), ...JSON.parse(secrets) }) : undefined;
  const updated = await ctx.db.app.update({
    where: { name: input.name },
    data: stripUndefined({ ...source, ...fields, secrets: merged, updatedBy: actor }),
  });
  return appView(updated);
}

/** sets (value) or unsets (null) plain or secret variables */
export async function setVars(ctx: AppContext, name: string, vars: Record<string, string | null>, secret: boolean, actor: string): Promise<AppView> {
  const app = await loadApp(ctx, name);
  const field = secret ? 'secrets' : 'env';
  const current = JSON.parse(app[field]) as Record<string, string>;
  const other = JSON.parse(app[secret ? 'env' : 'secrets']) as Record<string, string>;
  for (const [k, v] of Object.entries(vars)) {
    if (v === null) delete current[k];
    else {
      current[k] = secret ? ctx.secrets.seal(v) : v;
      // a name is either plain or secret, never both
      delete other[k];
    }
  }
  const updated = await ctx.db.app.update({
    where: { name },
    data: { [field]: JSON.stringify(current), [secret ? 'env' : 'secrets']: JSON.stringify(other), updatedBy: actor },
  });
  return appView(updated);
}

export function stripUndefined<T extends Record<string, unknown>>(o: T): { [K in keyof T]: Exclude<T[K], undefined> } {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as { [K in keyof T]: Exclude<T[K], undefined> };
}
