import { realpath } from 'node:fs/promises';
import { dirname, isAbsolute, join, normalize, relative, sep } from 'node:path';
import { z } from 'zod';
import type { Db } from '@skiff/db';
import { DEFAULT_CAPABILITIES, Forbidden } from '@skiff/runtime';
import { allows, type Principal } from './principal.js';
import { agentHardLimit } from './ulimit-policy.js';
import { logger } from '@skiff/logger';

const log = logger.child({ component: 'auth' });

/**
 * Options that reach the host and therefore are root on it: host-path binds, capabilities
 * beyond Docker's default set, the host's network namespace, privileged exec. Only admins
 * use them, except binds under the roots an admin allowed (the `hostAccess` setting).
 * Every path that creates or changes a container for a caller below admin passes here
 * (guarded-runtime.ts wraps the runtime those paths use).
 */

export const HOST_ACCESS_SETTING = 'hostAccess';

export const hostAccessPolicy = z
  .object({
    /** host directories non-admins may bind-mount (with what is below them) */
    allowedBindRoots: z
      .array(
        z
          .string()
          .min(1)
          .max(4096)
          .refine((p) => isAbsolute(p), 'an absolute path')
          .transform((p) => normalize(p)),
      )
      .max(64),
  })
  .strict();
export type HostAccessPolicy = z.infer<typeof hostAccessPolicy>;

/** the policy as checked: the admin's roots, plus roots the agent allows for one call that may be bound only read-only themselves */
export interface BindPolicy extends HostAccessPolicy {
  /** e.g. a stack's own directory: what is below may be bound read-write, the directory itself only read-only (its compose.yaml stays the agent's) */
  readOnlyRoots?: string[];
}

const NO_ACCESS: HostAccessPolicy = { allowedBindRoots: [] };

export async function loadHostAccessPolicy(db: Db): Promise<HostAccessPolicy> {
  const row = await db.setting.findUnique({ where: { key: HOST_ACCESS_SETTING } });
  if (!row) return NO_ACCESS;
  const parsed = hostAccessPolicy.safeParse(JSON.parse(row.value));
  if (!parsed.success) {
    log.warn('a setting is unreadable; no host access for non-admins', { setting: HOST_ACCESS_SETTING, err: parsed.error.issues[0]?.message });
    return NO_ACCESS;
  }
  return parsed.data;
}

export async function saveHostAccessPolicy(db: Db, policy: HostAccessPolicy): Promise<void> {
  const value = JSON.stringify(policy);
  await db.setting.upsert({ where: { key: HOST_ACCESS_SETTING }, create: { key: HOST_ACCESS_SETTING, value }, update: { value } });
}

/** Docker's default capability set (`docker run` keeps these; anything more is host-level) */
const DEFAULT_CAPS = new Set<string>(DEFAULT_CAPABILITIES);

/** What of a request can reach the host, in runtime terms. */
export interface HostRequest {
  /** host paths to bind-mount (including those a --volumes-from source has) */
  binds?: { source: string; readOnly: boolean }[];
  capAdd?: string[];
  network?: string;
  /** exec --privileged */
  privileged?: boolean;
  /** RUN steps of a build in the host network (`docker build --network host`) */
  buildNetwork?: string;
  /** --ulimit: above the agent's own hard limits only for admins */
  ulimits?: { name: string; soft: number; hard: number }[];
}

function refuse(p: Principal, option: string, hint = ''): never {
  throw new Forbidden(`${option} gives access to the host and needs the admin role; ${p.username} is ${p.role ?? 'not logged in'}${hint}`);
}

/**
 * Throws FORBIDDEN naming the first host-level option a caller below admin asked for.
 * `policy` is read only when there are binds to check.
 */
export async function assertHostAccess(p: Principal, req: HostRequest, policy: () => Promise<BindPolicy>): Promise<void> {
  if (allows(p, 'admin')) return;
  if (req.privileged) refuse(p, '--privileged');
  if (req.network === 'host') refuse(p, '--network host');
  if (req.buildNetwork === 'host') refuse(p, 'build --network host');
  for (const c of req.capAdd ?? []) {
    const up = c.trim().toUpperCase();
    const name = up === 'ALL' || up.startsWith('CAP_') ? up : `CAP_${up}`;
    if (!DEFAULT_CAPS.has(name)) refuse(p, `--cap-add ${c}`);
  }
  for (const u of req.ulimits ?? []) {
    const max = agentHardLimit(u.name);
    const asked = u.hard < 0 || u.soft < 0 ? Infinity : Math.max(u.hard, u.soft);
    if (asked > max) refuse(p, `--ulimit ${u.name}=${u.soft}:${u.hard}`, ` (above the agent's own hard limit ${max})`);
  }
  if (!req.binds?.length) return;
  const { allowedBindRoots, readOnlyRoots = [] } = await policy();
  const roots = [...allowedBindRoots, ...readOnlyRoots];
  for (const { source, readOnly } of req.binds) {
    const hint = roots.length ? ` (or a path under ${roots.join(', ')})` : ' (an admin can allow bind roots: settings.setHostAccess)';
    if (!isAbsolute(source)) refuse(p, `the bind mount of ${source}`, hint);
    const clean = normalize(source).replace(/(.)\/+$/, '$1');
    const real = await resolvedOnHost(clean).catch(() => refuse(p, `the bind mount of ${source}`, ' (it cannot be resolved on the host)'));
    // a symlink on the way is refused outright: it could be swapped after this check
    if (real !== clean || !roots.some((root) => within(root, real))) refuse(p, `the bind mount of ${source}`, hint);
    const own = readOnlyRoots.some((root) => normalize(root) === real) && !allowedBindRoots.some((root) => within(root, real));
    if (own && !readOnly) refuse(p, `the read-write bind mount of ${source}`, ' (bind it read-only, or a directory below it)');
  }
}

const within = (root: string, path: string) => {
  const rel = relative(root, path);
  return rel === '' || (!rel.startsWith(`..${sep}`) && rel !== '..' && !isAbsolute(rel));
};

/** the path with its symlinks resolved; a part that does not exist yet (the runtime creates it) is kept as written */
async function resolvedOnHost(clean: string): Promise<string> {
  let existing = clean;
  const rest: string[] = [];
  for (;;) {
    try {
      return join(await realpath(existing), ...rest.reverse());
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'ENOENT' || existing === '/') throw e;
      rest.push(existing.slice(dirname(existing).length).replace(/^\//, ''));
      existing = dirname(existing);
    }
  }
}
