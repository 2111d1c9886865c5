import { envLines } from '@skiff/templates';
import type { Context } from '../trpc.js';

/**
 * A stack's secrets (a template's passwords): sealed in the database, apart from the
 * stack's stored .env, which viewers may read through stacks.get. They join the .env only
 * in the file stacks.deploy writes (0600, in a 0700 directory under the agent's root).
 */

/** what the dashboard and validation see in a secret's place */
export const SECRET_PLACEHOLDER = '********';

export async function secretKeys(ctx: Context, stack: string): Promise<string[]> {
  const rows = await ctx.db.stackSecret.findMany({ where: { stack }, select: { key: true }, orderBy: { key: 'asc' } });
  return rows.map((r) => r.key);
}

export async function openStackSecrets(ctx: Context, stack: string): Promise<Record<string, string>> {
  const rows = await ctx.db.stackSecret.findMany({ where: { stack }, orderBy: { key: 'asc' } });
  return Object.fromEntries(rows.map((r) => [r.key, ctx.services.secrets.open(r.valueSealed)]));
}

/** replaces the stack's secrets with these (keys no longer given are removed) */
export async function storeStackSecrets(ctx: Context, stack: string, secrets: Record<string, string>): Promise<void> {
  const keys = Object.keys(secrets);
  await ctx.db.$transaction([
    ctx.db.stackSecret.deleteMany({ where: { stack, key: { notIn: keys } } }),
    ...keys.map((key) => {
      const valueSealed = ctx.services.secrets.seal(secrets[key]!);
      return ctx.db.stackSecret.upsert({ where: { stack_key: { stack, key } }, create: { stack, key, valueSealed }, update: { valueSealed } });
    }),
  ]);
}

export async function deleteStackSecrets(ctx: Context, stack: string): Promise<void> {
  await ctx.db.stackSecret.deleteMany({ where: { stack } });
}

/** the stored .env with the secrets after it (a later line wins, so a secret overrides a same-named entry) */
export function envWithSecrets(envFile: string, secrets: Record<string, string>): string {
  if (Object.keys(secrets).length === 0) return envFile;
  const sep = envFile === '' || envFile.endsWith('\n') ? '' : '\n';
  return `${envFile}${sep}${envLines(secrets)}`;
}

/** the stored .env with each secret as a placeholder: what a check or a viewer may see */
export async function envWithPlaceholders(ctx: Context, stack: string, envFile: string): Promise<string> {
  const keys = await secretKeys(ctx, stack);
  return envWithSecrets(envFile, Object.fromEntries(keys.map((k) => [k, SECRET_PLACEHOLDER])));
}
