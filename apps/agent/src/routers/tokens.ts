import { TRPCError } from '@trpc/server';
import { z } from 'zod';
import { hashToken, newSecret } from '../auth/secrets.js';
import { allows, mintableScopes, RANK, roleOfScope, SCOPES, type Principal, type Role, type Scope } from '../auth/principal.js';
import { revocations } from '../auth/revocation.js';
import { router, viewerProcedure } from '../trpc.js';

const scope = z.enum(SCOPES);
const publicToken = {
  id: true,
  name: true,
  prefix: true,
  scopes: true,
  createdAt: true,
  expiresAt: true,
  lastUsedAt: true,
  user: { select: { username: true } },
} as const;

/**
 * Who may mint which scopes: a token is never worth more than its maker. An API token can
 * mint tokens only when it is itself admin (else a leaked read token would mint a token that
 * outlives its revocation); a session mints scopes up to its user's role; nobody mints a
 * scope above the owner's role.
 */
function refuseEscalation(caller: Principal, scopes: Scope[], owner: { username: string; role: string }): void {
  const mintable = mintableScopes(caller);
  if (!mintable.length)
    throw new TRPCError({
      code: 'FORBIDDEN',
      message: 'an API token cannot create tokens unless it has the admin scope: create tokens from a logged-in session',
    });
  for (const s of scopes) {
    const needed = roleOfScope(s);
    if (!mintable.includes(s))
      throw new TRPCError({ code: 'FORBIDDEN', message: `the ${s} scope needs the ${needed} role; ${caller.username} acts as ${caller.role}` });
    if (RANK[owner.role as Role] < RANK[needed])
      throw new TRPCError({ code: 'FORBIDDEN', message: `the ${s} scope needs the ${needed} role; ${owner.username} is ${owner.role}` });
  }
}

/** API tokens: every user manages their own; admins see and revoke everyone's. */
export const tokensRouter = router({
  list: viewerProcedure.query(({ ctx }) =>
    ctx.db.apiToken.findMany({
      where: allows(ctx.principal, 'admin') ? {} : { userId: ctx.principal.userId ?? '-' },
      select: publicToken,
      orderBy: { createdAt: 'desc' },
    }),
  ),
  /** the secret is shown once, here; only its hash is kept */
  create: viewerProcedure
    .input(
      z.object({
        name: z.string().min(1).max(100),
        scopes: z.array(scope).min(1),
        expiresInDays: z.number().int().min(1).max(3650).optional(),
        username: z.string().optional(),
      }),
    )
    .mutation(async ({ ctx, input }) => {
      const forOther = input.username && input.username !== ctx.principal.username;
      if (forOther && !allows(ctx.principal, 'admin')) throw new TRPCError({ code: 'FORBIDDEN', message: 'only admins create tokens for other users' });
      const owner = await ctx.db.user.findUnique({ where: { username: input.username ?? ctx.principal.username } });
      if (!owner)
        throw new TRPCError({
          code: 'NOT_FOUND',
          message: `no such user: ${input.username ?? ctx.principal.username} (the root socket has no user: pass username)`,
        });
      refuseEscalation(ctx.principal, input.scopes, owner);
      const prefix = `sk_${newSecret(6)}`;
      const token = `${prefix}_${newSecret(32)}`;
      const row = await ctx.db.apiToken.create({
        data: {
          name: input.name,
          tokenHash: hashToken(token),
          prefix,
          scopes: input.scopes.join(','),
          userId: owner.id,
          expiresAt: input.expiresInDays ? new Date(Date.now() + input.expiresInDays * 86400_000) : null,
        },
        select: publicToken,
      });
      return { ...row, token };
    }),
  revoke: viewerProcedure.input(z.object({ id: z.string() })).mutation(async ({ ctx, input }) => {
    const row = await ctx.db.apiToken.findUnique({ where: { id: input.id } });
    if (!row || (row.userId !== ctx.principal.userId && !allows(ctx.principal, 'admin')))
      throw new TRPCError({ code: 'NOT_FOUND', message: `no such token: ${input.id}` });
    await ctx.db.apiToken.delete({ where: { id: row.id } });
    revocations.revokeToken(row.id);
  }),
});
