import { join, relative, isAbsolute } from 'node:path';
import type { Db } from '@skiff/db';
import { isUniqueViolation } from '@skiff/db';
import { Conflict, Forbidden, InvalidArgument, NotFound, type Runtime } from '@skiff/runtime';
import type { SecretBox } from '../auth/secrets.js';
import { allows, type Principal } from '../auth/principal.js';
import { checkSchedule } from './engine/schedule.js';
import { resolveEngine } from './sources/database-source.js';
import {
  storedDestination,
  targetSchema,
  type DatabaseTarget,
  type DestinationInput,
  type PlanInput,
  type PlanUpdate,
  type StoredDestination,
  type Target,
} from './plan-schema.js';

/** a plan as the engine uses it: target and destination parsed, the secret still sealed */
export interface Plan {
  id: string;
  name: string;
  target: (Target & { kind: 'volume' }) | DatabaseTarget;
  destination: StoredDestination;
  schedule: string | null;
  compression: 'zstd' | 'gzip';
  keepLast: number | null;
  keepDays: number | null;
  enabled: boolean;
  createdAt: Date;
  updatedAt: Date;
  updatedBy: string | null;
}

type Row = Awaited<ReturnType<Db['backupPlan']['findFirstOrThrow']>>;

/** a stored row read back through the same schemas as input (the database is an edge too) */
export function planOf(row: Row): Plan {
  const target = targetSchema.parse(JSON.parse(row.target));
  if (target.kind === 'database' && !target.engine) throw new InvalidArgument(`backup plan ${row.name}: stored without a database engine`);
  return {
    id: row.id,
    name: row.name,
    target: target as Plan['target'],
    destination: storedDestination.parse(JSON.parse(row.destination)),
    schedule: row.schedule,
    compression: row.compression === 'gzip' ? 'gzip' : 'zstd',
    keepLast: row.keepLast,
    keepDays: row.keepDays,
    enabled: row.enabled,
    createdAt: row.createdAt,
    updatedAt: row.updatedAt,
    updatedBy: row.updatedBy,
  };
}

/** what callers see of a plan: the S3 access key yes, the secret never */
export function planView(p: Plan) {
  const { destination: d } = p;
  const destination =
    d.kind === 'local' ? d : { kind: d.kind, endpoint: d.endpoint, bucket: d.bucket, prefix: d.prefix, region: d.region, accessKey: d.accessKey };
  return { ...p, destination };
}
export type PlanView = ReturnType<typeof planView>;

/** the agent's own backup directory: plans may write there without host access */
export const backupRoot = (root: string) => join(root, 'backups');

/**
 * A local directory is a host path the agent (root) writes and prunes in: only admins may
 * name one, except below the agent's own `<root>/backups`.
 */
function checkDestinationAccess(d: DestinationInput, principal: Principal, root: string): void {
  if (d.kind !== 'local' || allows(principal, 'admin')) return;
  const rel = relative(backupRoot(root), d.path);
  if (rel.startsWith('..') || isAbsolute(rel))
    throw new Forbidden(`a backup directory outside ${backupRoot(root)} is host access: it needs the admin role; ${principal.username} is ${principal.role}`);
}

function sealDestination(d: DestinationInput, secrets: SecretBox): StoredDestination {
  if (d.kind === 'local') return d;
  const { secretKey, ...rest } = d;
  return { ...rest, secretEncrypted: secrets.seal(secretKey) };
}

async function storedTarget(runtime: Runtime, t: Target): Promise<Plan['target']> {
  if (t.kind === 'volume') return t;
  return { ...t, engine: await resolveEngine(runtime, t.container, t.engine) };
}

export interface PlanDeps {
  db: Db;
  runtime: Runtime;
  secrets: SecretBox;
  root: string;
}

export async function createPlan(deps: PlanDeps, input: PlanInput, principal: Principal): Promise<Plan> {
  checkDestinationAccess(input.destination, principal, deps.root);
  if (input.schedule) checkSchedule(input.schedule);
  const target = await storedTarget(deps.runtime, input.target);
  try {
    const row = await deps.db.backupPlan.create({
      data: {
        name: input.name,
        target: JSON.stringify(target),
        destination: JSON.stringify(sealDestination(input.destination, deps.secrets)),
        schedule: input.schedule ?? null,
        compression: input.compression,
        keepLast: input.retention.keepLast ?? null,
        keepDays: input.retention.keepDays ?? null,
        enabled: input.enabled,
        updatedBy: principal.username,
      },
    });
    return planOf(row);
  } catch (e) {
    if (isUniqueViolation(e)) throw new Conflict(`a backup plan named "${input.name}" already exists`);
    throw e;
  }
}

export async function updatePlan(deps: PlanDeps, input: PlanUpdate, principal: Principal): Promise<Plan> {
  const current = await loadPlan(deps.db, input.name);
  if (input.destination) checkDestinationAccess(input.destination, principal, deps.root);
  // a plan an admin pointed at a host directory stays the admin's to change
  if (current.destination.kind === 'local') checkDestinationAccess(current.destination, principal, deps.root);
  if (input.schedule) checkSchedule(input.schedule);
  const row = await deps.db.backupPlan.update({
    where: { id: current.id },
    data: {
      ...(input.target ? { target: JSON.stringify(await storedTarget(deps.runtime, input.target)) } : {}),
      ...(input.destination ? { destination: JSON.stringify(sealDestination(input.destination, deps.secrets)) } : {}),
      ...(input.schedule !== undefined ? { schedule: input.schedule } : {}),
      ...(input.compression ? { compression: input.compression } : {}),
      ...(input.retention ? { keepLast: input.retention.keepLast ?? null, keepDays: input.retention.keepDays ?? null } : {}),
      ...(input.enabled !== undefined ? { enabled: input.enabled } : {}),
      updatedBy: principal.username,
    },
  });
  return planOf(row);
}

export async function loadPlan(db: Db, name: string): Promise<Plan> {
  const row = await db.backupPlan.findUnique({ where: { name } });
  if (!row) throw new NotFound(`no backup plan named "${name}"`);
  return planOf(row);
}

/** a plan an admin pointed at a host directory is the admin's to remove too */
export function checkPlanAccess(p: Plan, principal: Principal, root: string): void {
  if (p.destination.kind === 'local') checkDestinationAccess(p.destination, principal, root);
}
