import type { App, Deployment } from '@skiff/db';
import { z } from 'zod';
import { logger } from '@skiff/logger';

const log = logger.child({ component: 'apps' });

/*
 * The stored app row's JSON fields and what callers may see of it: secret values never
 * leave here (only their names), nor do the webhook secret or the deploy key's private half.
 */

const stringMap = z.record(z.string(), z.string());
const stringList = z.array(z.string());

/** a JSON column parsed with its schema; a corrupt one reads as empty and is logged */
export function parseJson<T>(text: string | null | undefined, schema: z.ZodType<T>, fallback: T, what: string): T {
  if (!text) return fallback;
  try {
    return schema.parse(JSON.parse(text));
  } catch (e) {
    log.warn('unreadable app field, read as empty', { field: what, err: e });
    return fallback;
  }
}

export const envOf = (app: App) => parseJson(app.env, stringMap, {}, 'env');
export const sealedSecretsOf = (app: App) => parseJson(app.secrets, stringMap, {}, 'secrets');
export const domainsOf = (app: Pick<App, 'domains'>) => parseJson(app.domains, stringList, [], 'domains');
export const healthCommandOf = (app: App) => (app.healthCommand ? parseJson(app.healthCommand, stringList, [], 'healthCommand') : undefined);

export const TERMINAL = ['live', 'failed', 'superseded', 'rolled-back'] as const;
export const IN_FLIGHT = ['queued', 'building', 'starting', 'healthy'] as const;
export type DeploymentStatus = (typeof TERMINAL)[number] | (typeof IN_FLIGHT)[number];

export interface AppView {
  name: string;
  source: { kind: 'git'; url: string; branch: string; path: string | null; auth: 'none' | 'token' | 'ssh' } | { kind: 'image'; image: string };
  build: string;
  port: number;
  replicas: number;
  env: Record<string, string>;
  /** the names of the secret variables; their values are never returned */
  secrets: string[];
  domains: string[];
  https: boolean;
  health: { path: string | null; command: string[] | null; interval: number; timeout: number; retries: number };
  drainSeconds: number;
  /** the deploy key's public half (SSH sources with a generated key) */
  deployKey: string | null;
  hasWebhookSecret: boolean;
  currentDeploymentId: string | null;
  createdAt: Date;
  updatedAt: Date;
  updatedBy: string | null;
}

export function appView(app: App): AppView {
  const source: AppView['source'] =
    app.sourceKind === 'git'
      ? {
          kind: 'git',
          url: app.gitUrl ?? '',
          branch: app.branch ?? 'main',
          path: app.path,
          auth: app.deployKeySealed ? 'ssh' : app.gitAuthSealed ? 'token' : 'none',
        }
      : { kind: 'image', image: app.image ?? '' };
  return {
    name: app.name,
    source,
    build: app.buildKind,
    port: app.port,
    replicas: app.replicas,
    env: envOf(app),
    secrets: Object.keys(sealedSecretsOf(app)).sort(),
    domains: domainsOf(app),
    https: app.https,
    health: {
      path: app.healthPath,
      command: healthCommandOf(app) ?? null,
      interval: app.healthInterval,
      timeout: app.healthTimeout,
      retries: app.healthRetries,
    },
    drainSeconds: app.drainSeconds,
    deployKey: app.deployKeyPublic,
    hasWebhookSecret: !!app.webhookSecretSealed,
    currentDeploymentId: app.currentDeploymentId,
    createdAt: app.createdAt,
    updatedAt: app.updatedAt,
    updatedBy: app.updatedBy,
  };
}

export interface DeploymentView {
  id: string;
  number: number;
  status: string;
  commit: string | null;
  message: string | null;
  imageId: string | null;
  imageRef: string | null;
  error: string | null;
  rollbackOf: string | null;
  triggeredBy: string | null;
  createdAt: Date;
  finishedAt: Date | null;
}

/** a deployment without its log (lists); the log is read one deployment at a time */
export function deploymentView(d: Deployment): DeploymentView {
  const { log: _log, appId: _app, ...rest } = d;
  return rest;
}
