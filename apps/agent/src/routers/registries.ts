import { z } from 'zod';
import { adminProcedure, call, router } from '../trpc.js';

/** Registry credentials (skiff login): stored encrypted, used by pull and push. */
export const registriesRouter = router({
  list: adminProcedure.query(({ ctx }) =>
    ctx.db.registryCredential.findMany({ select: { registry: true, username: true, createdAt: true, updatedAt: true }, orderBy: { registry: 'asc' } }),
  ),
  login: adminProcedure
    .input(z.object({ registry: z.string().min(1).max(255), username: z.string().min(1).max(255), password: z.string().min(1).max(4096) }))
    .mutation(async ({ ctx, input }) => {
      const registry = normaliseRegistry(input.registry);
      // like `docker login`: only credentials the registry accepts are kept
      await call(() => ctx.runtime.images.checkLogin(registry, { username: input.username, password: input.password }));
      const secretEncrypted = ctx.services.secrets.seal(input.password);
      await ctx.db.registryCredential.upsert({
        where: { registry },
        create: { registry, username: input.username, secretEncrypted },
        update: { username: input.username, secretEncrypted },
      });
      return { registry };
    }),
  logout: adminProcedure.input(z.object({ registry: z.string().min(1) })).mutation(async ({ ctx, input }) => {
    await ctx.db.registryCredential.deleteMany({ where: { registry: normaliseRegistry(input.registry) } });
  }),
});

export function normaliseRegistry(r: string): string {
  const host = r.replace(/^https?:\/\//, '').replace(/\/.*$/, '');
  return host === 'index.docker.io' || host === 'registry-1.docker.io' ? 'docker.io' : host;
}
