import { initTRPC, TRPCError } from '@trpc/server';
import type { Runtime } from '@skiff/runtime';
import { isSkiffError, type SkiffErrorCode } from '@skiff/runtime';
import type { Db } from '@skiff/db';
import type { SessionRegistry } from './sessions.js';
import type { EventHistory } from './event-history.js';
import { allows, type Principal, type Role } from './auth/principal.js';
import type { SecretBox } from './auth/secrets.js';
import type { AppService } from './apps/service.js';

import type { BackupService } from './backups/service.js';

import type { FailureLimiter } from './auth/rate-limit.js';
import type { ReverseProxy } from '@skiff/proxy';
import type { CertificateManager } from '@skiff/certs';
import { writeAudit } from './auth/audit-log.js';
import { auditTarget } from './auth/audit-target.js';
import { issueSentence, type SchemaIssue } from './issue-text.js';
import { revocations } from './auth/revocation.js';
import type { HostRequest } from './auth/host-access.js';
import { revokedError, untilRevoked } from './auth/until-revoked.js';

export interface Context {
  /** the runtime as this principal may use it (host-level options checked: auth/guarded-runtime.ts) */
  runtime: Runtime;
  /** the same, with binds also allowed below these host directories, and of them read-only (a stack's own directory) */
  runtimeAllowingBinds(roots: string[]): Runtime;
  /** FORBIDDEN unless this principal may use these host-level options (auth/host-access.ts); `roots` as runtimeAllowingBinds */
  checkHostAccess(requests: HostRequest[], roots?: string[]): Promise<void>;
  sessions: SessionRegistry;
  db: Db;
  services: AgentServices;
  principal: Principal;
  /** the raw session cookie of this request (for logout) */
  sessionToken?: string;
  ip?: string;
  /** the WebSocket carrying this call, for back-pressure on streams */
  ws?: { bufferedAmount: number; readyState: number };
  /** set a response header (HTTP only: a WebSocket context cannot set cookies) */
  setHeader?: (name: string, value: string | string[]) => void;
}

/** agent-wide helpers the routers share */
export interface AgentServices {
  secrets: SecretBox;
  loginLimiter: FailureLimiter;
  /** whether the TCP listener is plain HTTP on loopback (cookies then are not `Secure`) */
  secureCookies: boolean;
  /** the runtime's latest events, newest first (dashboard home) */
  events: EventHistory;
  /** the runtime's root directory (stacks keep their files under `<root>/stacks/<name>/`) */
  root: string;
  /** the apps' reverse proxy: the app service sets each app's routes here (its listeners may be off) */
  proxy: ReverseProxy;
  /** the apps' certificates (ACME, uploads, placeholders): packages/certs */
  certs: CertificateManager;

  /** applications: deploys, rollbacks, routes (apps/service.ts) */
  apps: AppService;

  /** backup plans, schedules, runs and restores (backups/service.ts) */
  backups: BackupService;
}

const TRPC_CODE: Record<SkiffErrorCode, TRPCError['code']> = {
  NOT_FOUND: 'NOT_FOUND',
  CONFLICT: 'CONFLICT',
  INVALID_ARGUMENT: 'BAD_REQUEST',
  UNAUTHORIZED: 'UNAUTHORIZED',
  FORBIDDEN: 'FORBIDDEN',
  UNAVAILABLE: 'SERVICE_UNAVAILABLE',
  INTERNAL: 'INTERNAL_SERVER_ERROR',
};

const t = initTRPC.context<Context>().create({
  errorFormatter({ shape, error }) {
    const cause = error.cause;
    const skiff = isSkiffError(cause) ? cause : undefined;
    return {
      ...shape,
      message: skiff ? skiff.message : shape.message,
      data: {
        ...shape.data,
        stack: undefined,
        /** the runtime's own code and Docker's CLI exit status (126/127) when there is one */
        skiffCode: skiff?.code,
        exitStatus: skiff?.exitStatus,
        /** input the procedure's schema refused: each issue's field path and message (the message itself is zod's JSON) */
        inputIssues: error.code === 'BAD_REQUEST' ? inputIssues(cause) : undefined,
      },
    };
  },
});

/**
 * The issues of a schema failure (zod's error, or a Standard Schema one): each field path,
 * zod's message and `text`, a sentence for people ("Password must be at least 8 characters.").
 */
function inputIssues(cause: unknown): { path: (string | number)[]; message: string; text: string }[] | undefined {
  const issues = (cause as { issues?: unknown } | undefined)?.issues;
  if (!Array.isArray(issues)) return undefined;
  // a Standard Schema path segment may be { key } instead of the key itself
  const segment = (p: PropertyKey | { key: PropertyKey }): string | number => {
    const k = typeof p === 'object' && p !== null ? p.key : p;
    return typeof k === 'number' ? k : String(k);
  };
  return issues.map((i: Omit<SchemaIssue, 'path' | 'message'> & { path?: (PropertyKey | { key: PropertyKey })[]; message?: string }) => {
    const issue: SchemaIssue = {
      code: typeof i.code === 'string' ? i.code : undefined,
      path: (i.path ?? []).map(segment),
      message: i.message ?? 'invalid',
      origin: typeof i.origin === 'string' ? i.origin : undefined,
      minimum: typeof i.minimum === 'number' ? i.minimum : undefined,
      maximum: typeof i.maximum === 'number' ? i.maximum : undefined,
      expected: typeof i.expected === 'string' ? i.expected : undefined,
      keys: Array.isArray(i.keys) ? i.keys.filter((k): k is string => typeof k === 'string') : undefined,
    };
    return { path: issue.path, message: issue.message, text: issueSentence(issue) };
  });
}

/** Runtime errors become tRPC errors with the matching code and the runtime's message. */
const mapErrors = t.middleware(async ({ next }) => {
  const result = await next();
  if (!result.ok && isSkiffError(result.error.cause)) {
    const cause = result.error.cause;
    result.error = new TRPCError({ code: TRPC_CODE[cause.code], message: cause.message, cause });
  }
  return result;
});

/** Every mutation lands in the audit log (who, what, target, result), never blocking the call. */
const audit = t.middleware(async ({ ctx, type, path, getRawInput, next }) => {
  if (type !== 'mutation' || path.startsWith('containers.session')) return next();
  const input = (await getRawInput().catch(() => undefined)) as Record<string, unknown> | undefined;
  const target = await auditTarget(ctx.runtime, path, input);
  const result = await next();
  // a sign-in or the first admin's set-up is done by the user it names, not by `anonymous`
  const signedIn = result.ok && (path === 'auth.login' || path === 'auth.setup') && typeof input?.username === 'string';
  const actor = signedIn ? (input.username as string) : ctx.principal.username;
  writeAudit(ctx.db, { actor, action: path, target, ip: ctx.ip, error: result.ok ? undefined : auditError(result.error) });
  return result;
});

/** the failure an audit row keeps: for refused input a sentence per issue, not zod's JSON */
function auditError(error: TRPCError): string {
  const issues = error.code === 'BAD_REQUEST' ? inputIssues(error.cause) : undefined;
  return issues?.length ? issues.map((i) => i.text).join(' ') : error.message;
}

/** An audit-log row, written in the background (subscriptions that change things call this themselves). */
export function recordAudit(ctx: Context, action: string, target: string | undefined, error?: string): void {
  writeAudit(ctx.db, { actor: ctx.principal.username, action, target, ip: ctx.ip, error });
}

/**
 * Every procedure states the least role it needs; the unix socket (root) passes all. The
 * principal is checked against revocations on every call (a WebSocket authenticates once),
 * and a subscription ends when its principal is revoked.
 */
const requireRole = (role: Role) =>
  t.middleware(async ({ ctx, type, next }) => {
    if (ctx.principal.kind === 'anonymous')
      throw new TRPCError({ code: 'UNAUTHORIZED', message: 'authentication required: log in or send an API token (Authorization: Bearer …)' });
    if (!revocations.isCurrent(ctx.principal)) throw revokedError();
    if (!allows(ctx.principal, role))
      throw new TRPCError({ code: 'FORBIDDEN', message: `this needs the ${role} role; ${ctx.principal.username} is ${ctx.principal.role}` });
    const result = await next();
    if (type === 'subscription' && result.ok && isAsyncIterable(result.data)) return { ...result, data: untilRevoked(result.data, ctx.principal) };
    return result;
  });

const isAsyncIterable = (v: unknown): v is AsyncIterable<unknown> => !!v && typeof (v as AsyncIterable<unknown>)[Symbol.asyncIterator] === 'function';

const base = t.procedure.use(mapErrors).use(audit);
export const router = t.router;
/** no authentication (login, first-time setup, ping) */
export const publicProcedure = base;
/** read-only: lists, inspect, logs, stats */
export const viewerProcedure = base.use(requireRole('viewer'));
/** changes containers, images, volumes, networks; exec */
export const operatorProcedure = base.use(requireRole('operator'));
/** users, everyone's tokens, audit log, registry credentials */
export const adminProcedure = base.use(requireRole('admin'));

/** Wraps a runtime call so a thrown SkiffError reaches the middleware as the cause. */
export async function call<T>(fn: () => Promise<T>): Promise<T> {
  try {
    return await fn();
  } catch (e) {
    if (isSkiffError(e)) throw new TRPCError({ code: TRPC_CODE[e.code], message: e.message, cause: e });
    throw e;
  }
}

const WS_HIGH_WATER = 1024 * 1024;

/**
 * Back-pressure for streams: the WebSocket adapter sends each yielded event at once, so a
 * slow client would grow the socket's buffer without bound. Streams call this after each
 * event and wait while more than 1 MiB is still unsent; the source is then not read
 * (exec output stays in its pipe), so nothing is lost and memory stays bounded.
 */
export async function drained(ctx: Context, signal?: AbortSignal): Promise<void> {
  while (ctx.ws && ctx.ws.readyState === 1 && ctx.ws.bufferedAmount > WS_HIGH_WATER && !signal?.aborted) {
    await new Promise((r) => setTimeout(r, 5));
  }
}
