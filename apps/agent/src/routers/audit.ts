import { z } from 'zod';
import { adminProcedure, router } from '../trpc.js';

export const auditRouter = router({
  /** newest first; roles restrict this to admins once auth lands */
  list: adminProcedure
    .input(z.object({ limit: z.number().int().min(1).max(1000).optional(), actor: z.string().optional(), action: z.string().optional() }).optional())
    .query(({ ctx, input }) =>
      ctx.db.auditEntry.findMany({
        where: { actor: input?.actor, action: input?.action },
        orderBy: { createdAt: 'desc' },
        take: input?.limit ?? 100,
      }),
    ),
});
