import { realpath } from 'node:fs/promises';
import { hostAccessPolicy, loadHostAccessPolicy, saveHostAccessPolicy } from '../auth/host-access.js';
import { adminProcedure, router } from '../trpc.js';

/** agent-wide settings admins change from the dashboard */
export const settingsRouter = router({
  /** what callers below admin may do on the host (bind roots); everything else host-level stays admin-only */
  hostAccess: adminProcedure.query(({ ctx }) => loadHostAccessPolicy(ctx.db)),
  /** roots are stored with their symlinks resolved, since a bind through a symlink is refused */
  setHostAccess: adminProcedure.input(hostAccessPolicy).mutation(async ({ ctx, input }) => {
    const roots = await Promise.all(input.allowedBindRoots.map((r) => realpath(r).catch(() => r)));
    const policy = { allowedBindRoots: [...new Set(roots)] };
    await saveHostAccessPolicy(ctx.db, policy);
    return policy;
  }),
});
