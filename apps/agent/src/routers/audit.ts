import { z } from 'zod';
import { flushAudit } from '../auth/audit-log.js';
import { adminProcedure, router } from '../trpc.js';

const text = z.string().trim().max(200);

export const auditRouter = router({
  /**
   * Newest first, admins only. `actor` / `action` match exactly; `actorContains` /
   * `actionContains` match a part (the dashboard's filters). Paging: pass the last entry's
   * id as `before` to get the entries after it (older ones); a page shorter than `limit`
   * is the last.
   */
  list: adminProcedure
    .input(
      z
        .object({
          limit: z.number().int().min(1).max(1000).optional(),
          actor: z.string().optional(),
          action: z.string().optional(),
          actorContains: text.optional(),
          actionContains: text.optional(),
          before: z.string().min(1).max(64).optional(),
        })
        .optional(),
    )
    .query(async ({ ctx, input }) => {
      await flushAudit(ctx.db); // rows still queued are part of the log
      return ctx.db.auditEntry.findMany({
        where: {
          AND: [
            { actor: input?.actor, action: input?.action },
            input?.actorContains ? { actor: { contains: input.actorContains } } : {},
            input?.actionContains ? { action: { contains: input.actionContains } } : {},
          ],
        },
        // id breaks ties between entries of the same millisecond, so paging never skips one
        orderBy: [{ createdAt: 'desc' }, { id: 'desc' }],
        take: input?.limit ?? 100,
        ...(input?.before ? { cursor: { id: input.before }, skip: 1 } : {}),
      });
    }),
});
