import { TRPCError } from '@trpc/server';
import { z } from 'zod';
import { SESSION_COOKIE } from '../auth/authenticate.js';
import { SETUP_TOKEN_SETTING } from '../auth/bootstrap.js';
import { hashPassword, hashToken, newSecret, safeEqual, verifyPassword } from '../auth/secrets.js';
import { revocations } from '../auth/revocation.js';
import { permissionsOf } from '../auth/principal.js';
import { publicProcedure, router, viewerProcedure, type Context } from '../trpc.js';

const SESSION_TTL_MS = 12 * 3600_000;
export const username = z
  .string()
  .min(1)
  .max(64)
  .regex(/^[a-zA-Z0-9][a-zA-Z0-9_.@-]*$/, 'letters, digits and _ . @ - only');
export const password = z.string().min(8, 'at least 8 characters').max(1024);

async function startSession(ctx: Context, userId: string): Promise<void> {
  if (!ctx.setHeader)
    throw new TRPCError({ code: 'BAD_REQUEST', message: 'log in over HTTP (a WebSocket cannot set the session cookie); scripts use API tokens' });
  const token = newSecret();
  await ctx.db.session.create({ data: { tokenHash: hashToken(token), userId, expiresAt: new Date(Date.now() + SESSION_TTL_MS), ip: ctx.ip } });
  const secure = ctx.services.secureCookies ? '; Secure' : '';
  ctx.setHeader('set-cookie', `${SESSION_COOKIE}=${token}; HttpOnly; SameSite=Strict; Path=/; Max-Age=${SESSION_TTL_MS / 1000}${secure}`);
}

export const authRouter = router({
  /** rate-limited per client address and per user name */
  login: publicProcedure.input(z.object({ username, password: z.string().max(1024) })).mutation(async ({ ctx, input }) => {
    const keys = [`ip:${ctx.ip ?? 'local'}`, `user:${input.username}`];
    if (keys.some((k) => ctx.services.loginLimiter.blocked(k)))
      throw new TRPCError({ code: 'TOO_MANY_REQUESTS', message: 'too many failed logins; wait a minute' });
    const user = await ctx.db.user.findUnique({ where: { username: input.username } });
    const ok = user && !user.disabled && (await verifyPassword(input.password, user.passwordHash));
    if (!ok) {
      for (const k of keys) ctx.services.loginLimiter.fail(k);
      throw new TRPCError({ code: 'UNAUTHORIZED', message: 'wrong user name or password' });
    }
    for (const k of keys) ctx.services.loginLimiter.reset(k);
    await startSession(ctx, user.id);
    return { username: user.username, role: user.role };
  }),

  logout: publicProcedure.mutation(async ({ ctx }) => {
    if (ctx.principal.kind === 'session' && ctx.sessionToken) await ctx.db.session.deleteMany({ where: { tokenHash: hashToken(ctx.sessionToken) } });
    // the same cookie's open WebSockets end too
    if (ctx.principal.sessionId) revocations.revokeSession(ctx.principal.sessionId);
    ctx.setHeader?.('set-cookie', `${SESSION_COOKIE}=; HttpOnly; SameSite=Strict; Path=/; Max-Age=0`);
  }),

  /** who is calling, and what they may do (`can`: the dashboard shows controls by it instead of re-deriving role rules) */
  me: viewerProcedure.query(({ ctx }) => ({
    username: ctx.principal.username,
    role: ctx.principal.role!,
    via: ctx.principal.kind,
    can: permissionsOf(ctx.principal),
  })),

  /**
   * whether first-time setup is still open (no user yet), and whether the caller is signed
   * in: the login and setup pages ask without a 401 for the signed-out case
   */
  setupNeeded: publicProcedure.query(async ({ ctx }) => ({ needed: (await ctx.db.user.count()) === 0, signedIn: !!ctx.principal.role })),

  /** first-time setup with the one-time token printed at agent start */
  setup: publicProcedure.input(z.object({ token: z.string().min(1), username, password })).mutation(async ({ ctx, input }) => {
    const stored = await ctx.db.setting.findUnique({ where: { key: SETUP_TOKEN_SETTING } });
    if (!stored || (await ctx.db.user.count()) > 0 || !safeEqual(stored.value, hashToken(input.token))) {
      throw new TRPCError({ code: 'FORBIDDEN', message: 'setup is closed or the setup token is wrong' });
    }
    const user = await ctx.db.user.create({ data: { username: input.username, passwordHash: await hashPassword(input.password), role: 'admin' } });
    await ctx.db.setting.delete({ where: { key: SETUP_TOKEN_SETTING } });
    await startSession(ctx, user.id);
    return { username: user.username, role: user.role };
  }),
});
