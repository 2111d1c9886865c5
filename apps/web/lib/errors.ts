import { TRPCClientError } from '@trpc/client';

/**
 * Errors from the agent, read by their code: tRPC's `data.code` (NOT_FOUND, CONFLICT,
 * UNAUTHORIZED…, mapped from the runtime's SkiffErrorCode in apps/agent/src/trpc.ts) and,
 * for input the agent's schemas refused, its list of issues. Never by message text: the
 * wording is for people and may change.
 */
export type ErrorCode =
  | 'BAD_REQUEST'
  | 'UNAUTHORIZED'
  | 'FORBIDDEN'
  | 'NOT_FOUND'
  | 'CONFLICT'
  | 'TOO_MANY_REQUESTS'
  | 'SERVICE_UNAVAILABLE'
  | 'INTERNAL_SERVER_ERROR'
  | (string & {});

type ErrorData = { code?: ErrorCode; inputIssues?: { path: (string | number)[]; message: string }[] };

const dataOf = (e: unknown): ErrorData | undefined => (e instanceof TRPCClientError ? ((e.data ?? undefined) as ErrorData | undefined) : undefined);

/** the tRPC error code of a failed call; undefined for a failure that never reached the agent */
export function errorCode(e: unknown): ErrorCode | undefined {
  return dataOf(e)?.code;
}

export const isUnauthorized = (e: unknown): boolean => errorCode(e) === 'UNAUTHORIZED';
export const isNotFound = (e: unknown): boolean => errorCode(e) === 'NOT_FOUND';

/**
 * What to show for a failure: the agent's message; for refused input, "field: message; …"
 * from the issues the agent sends alongside (its message is then zod's JSON).
 */
export function errorMessage(e: unknown): string {
  const issues = dataOf(e)?.inputIssues;
  if (issues?.length) return issues.map((i) => `${i.path.length ? `${i.path.join('.')}: ` : ''}${i.message}`).join('; ');
  return e instanceof Error ? e.message : String(e);
}
