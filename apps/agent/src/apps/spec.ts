import { z } from 'zod';

/*
 * What an app is, as callers give it: checked here once, at the edge (tRPC, CLI), so the
 * service below only sees valid names, domains, variables and paths.
 */

/** a DNS label: it becomes container names, an image repository and the proxy's owner key */
export const appName = z
  .string()
  .min(1)
  .max(40)
  .regex(/^[a-z0-9](?:[a-z0-9-]*[a-z0-9])?$/, 'lowercase letters, digits and inner dashes only (a DNS label)');

/** a host name the proxy routes: labels of letters, digits and dashes, no port, no wildcard */
export const domainName = z
  .string()
  .min(1)
  .max(253)
  .transform((d) => d.toLowerCase())
  .pipe(z.string().regex(/^(?=.{1,253}$)(?:[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?\.)*[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?$/, 'not a host name'));

/** an environment variable's name, as a shell would take it */
export const envKey = z
  .string()
  .min(1)
  .max(128)
  .regex(/^[A-Za-z_][A-Za-z0-9_]*$/, 'letters, digits and underscores, not starting with a digit');
const envValue = z
  .string()
  .max(32 * 1024)
  .refine((v) => !v.includes('\0'), 'no NUL bytes');
export const envMap = z.record(envKey, envValue).refine((m) => Object.keys(m).length <= 200, 'at most 200 variables');

/** a relative path inside the repository: no `..`, no absolute path, no NUL */
export const repoPath = z
  .string()
  .max(256)
  .refine(
    (p) => !p.startsWith('/') && !p.split('/').includes('..') && !p.includes('\0') && !p.includes('\\'),
    'a relative path inside the repository (no "..")',
  );

/** a git URL: https://, http://, ssh://, git://, file:// or scp-like user@host:path */
export const gitUrl = z
  .string()
  .min(1)
  .max(2048)
  .refine((u) => !/\s/.test(u) && !u.startsWith('-'), 'not a git URL')
  .refine((u) => /^(https?|ssh|git|file):\/\//i.test(u) || /^[A-Za-z0-9._-]+@[A-Za-z0-9.-]+:[^\s]+$/.test(u), 'not a git URL');
/** a branch name git would accept (check-ref-format, roughly) */
export const branchName = z
  .string()
  .min(1)
  .max(255)
  .regex(/^(?!-)(?!.*\.\.)(?!.*\/\/)(?!.*@\{)[A-Za-z0-9._/-]+(?<![./])$/, 'not a branch name');

export const imageRef = z
  .string()
  .min(1)
  .max(512)
  .regex(/^[A-Za-z0-9][A-Za-z0-9._/:@-]*$/, 'not an image reference');

export const healthSpec = z.object({
  /** HTTP GET of this path on the app's port must answer 2xx/3xx */
  path: z
    .string()
    .max(1024)
    .regex(/^\/[\x21-\x7e]*$/, 'a path starting with "/"')
    .optional(),
  /** or this command, run in the container, must exit 0 */
  command: z.array(z.string().max(4096)).min(1).max(64).optional(),
  interval: z.number().int().min(1).max(300).optional(),
  timeout: z.number().int().min(1).max(300).optional(),
  retries: z.number().int().min(1).max(1000).optional(),
});

const appFields = {
  port: z.number().int().min(1).max(65535).optional(),
  replicas: z.number().int().min(1).max(20).optional(),
  env: envMap.optional(),
  secrets: envMap.optional(),
  domains: z.array(domainName).max(50).optional(),
  https: z.boolean().optional(),
  health: healthSpec.optional(),
  drainSeconds: z.number().int().min(0).max(600).optional(),
};

export const gitSource = z.object({
  kind: z.literal('git'),
  url: gitUrl,
  branch: branchName.default('main'),
  path: repoPath.optional(),
  /** a token for HTTPS, or `deployKey` to have Skiff make an SSH key (its public half is shown once) */
  token: z.string().min(1).max(4096).optional(),
  username: z.string().min(1).max(255).optional(),
  deployKey: z.boolean().optional(),
});
export const imageSource = z.object({ kind: z.literal('image'), image: imageRef });
export const appSource = z.discriminatedUnion('kind', [gitSource, imageSource]);

export const createAppInput = z.object({
  name: appName,
  source: appSource, // compose builds are stored as a kind but not built yet (docs/apps.md)
  build: z.enum(['dockerfile']).optional(),
  ...appFields,
});
export type CreateAppInput = z.infer<typeof createAppInput>;

/** every field but the name and source kind may change; variables given replace those stored */
export const updateAppInput = z.object({
  name: appName,
  image: imageRef.optional(),
  branch: branchName.optional(),
  path: repoPath.optional(),
  ...appFields,
});
export type UpdateAppInput = z.infer<typeof updateAppInput>;

/** set (a value) or unset (null) variables one by one */
export const setVarsInput = z.object({
  name: appName,
  secret: z.boolean().default(false),
  vars: z.record(envKey, envValue.nullable()).refine((m) => Object.keys(m).length <= 200, 'at most 200 variables'),
});
