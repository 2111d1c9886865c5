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

/** a refused field: its path, zod's message and (from the agent) `text`, a sentence such as "Password must be at least 8 characters." */
type InputIssue = { path: (string | number)[]; message: string; text?: string };
type ErrorData = { code?: ErrorCode; inputIssues?: InputIssue[] };

const dataOf = (e: unknown): ErrorData | undefined => (e instanceof TRPCClientError ? ((e.data ?? undefined) as ErrorData | undefined) : undefined);

/** the tRPC error code of a failed call; undefined for a failure that never reached the agent */
export function errorCode(e: unknown): ErrorCode | undefined {
  return dataOf(e)?.code;
}

export const isUnauthorized = (e: unknown): boolean => errorCode(e) === 'UNAUTHORIZED';
export const isNotFound = (e: unknown): boolean => errorCode(e) === 'NOT_FOUND';

/** a sentence for an issue an older agent sent without one: "Password: at least 8 characters." */
const sentence = (i: InputIssue): string => {
  const key = [...i.path].reverse().find((k) => typeof k === 'string');
  const field = key ? key.charAt(0).toUpperCase() + key.slice(1) : 'Input';
  return `${field}: ${i.message.replace(/\.$/, '')}.`;
};

/** a message that is zod's JSON dump of issues (a tRPC error without the issues alongside) */
function issuesInMessage(message: string): InputIssue[] | undefined {
  if (!message.trimStart().startsWith('[')) return undefined;
  try {
    const parsed: unknown = JSON.parse(message);
    return Array.isArray(parsed) && parsed.every((i) => typeof i?.message === 'string')
      ? parsed.map((i: { path?: unknown; message: string }) => ({ path: Array.isArray(i.path) ? i.path : [], message: i.message }))
      : undefined;
  } catch (e) {
    console.debug('errors: a message that looked like JSON was not', e);
    return undefined;
  }
}

/**
 * What to show for a failure: the agent's message; for refused input one sentence per
 * refused field ("Password must be at least 8 characters."), never zod's JSON of the issues.
 */
export function errorMessage(e: unknown): string {
  const message = e instanceof Error ? e.message : String(e);
  const issues = dataOf(e)?.inputIssues ?? issuesInMessage(message);
  if (issues?.length) return issues.map((i) => i.text ?? sentence(i)).join(' ');
  return message;
}
