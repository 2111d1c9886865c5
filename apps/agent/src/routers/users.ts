import { TRPCError } from '@trpc/server';
import { z } from 'zod';
import { hashPassword } from '../auth/secrets.js';
import { revocations } from '../auth/revocation.js';
import { adminProcedure, router } from '../trpc.js';
import { password, username } from './auth.js';

const role = z.enum(['admin', 'operator', 'viewer']);
const publicUser = { id: true, username: true, role: true, createdAt: true, disabled: true } as const;

export const usersRouter = router({
  list: adminProcedure.query(({ ctx }) => ctx.db.user.findMany({ select: publicUser, orderBy: { username: 'asc' } })),
  create: adminProcedure.input(z.object({ username, password, role })).mutation(async ({ ctx, input }) => {
    if (await ctx.db.user.findUnique({ where: { username: input.username } }))
      throw new TRPCError({ code: 'CONFLICT', message: `user ${input.username} already exists` });
    return ctx.db.user.create({ data: { username: input.username, passwordHash: await hashPassword(input.password), role: input.role }, select: publicUser });
  }),
  update: adminProcedure
    .input(z.object({ username, role: role.optional(), password: password.optional(), disabled: z.boolean().optional() }))
    .mutation(async ({ ctx, input }) => {
      const user = await ctx.db.user.findUnique({ where: { username: input.username } });
      if (!user) throw new TRPCError({ code: 'NOT_FOUND', message: `no such user: ${input.username}` });
      const updated = await ctx.db.user.update({
        where: { id: user.id },
        data: { role: input.role, disabled: input.disabled, ...(input.password ? { passwordHash: await hashPassword(input.password) } : {}) },
        select: publicUser,
      });
      // a changed password, role or a disabled account ends the user's sessions
      // (and, through the revocation epoch, its open WebSockets and its tokens' running subscriptions)
      if (input.password || input.role || input.disabled) {
        await ctx.db.session.deleteMany({ where: { userId: user.id } });
        revocations.revokeUser(user.id);
      }
      return updated;
    }),
  remove: adminProcedure.input(z.object({ username })).mutation(async ({ ctx, input }) => {
    if (input.username === ctx.principal.username) throw new TRPCError({ code: 'CONFLICT', message: 'you cannot remove yourself' });
    const user = await ctx.db.user.findUnique({ where: { username: input.username } });
    const { count } = await ctx.db.user.deleteMany({ where: { username: input.username } });
    if (!count || !user) throw new TRPCError({ code: 'NOT_FOUND', message: `no such user: ${input.username}` });
    revocations.revokeUser(user.id);
  }),
});
