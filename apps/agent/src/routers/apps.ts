import { TRPCError } from '@trpc/server';
import { z } from 'zod';
import { allows } from '../auth/principal.js';
import { call, operatorProcedure, router, viewerProcedure, type Context } from '../trpc.js';
import { appName, createAppInput, setVarsInput, updateAppInput } from '../apps/spec.js';

/**
 * Applications (docs/apps.md). Viewers read apps, deployments and logs but never a secret's
 * value (only its name); operators create, change, deploy, roll back and remove, as stacks.
 */
const byName = z.object({ name: appName });

/** a file:// repository is the host's filesystem: only admins, as host binds (auth/host-access.ts) */
function checkLocalRepo(ctx: Context, url: string): void {
  if (/^file:/i.test(url) && !allows(ctx.principal, 'admin'))
    throw new TRPCError({
      code: 'FORBIDDEN',
      message: `a file:// repository reads the agent's host; ${ctx.principal.username} is ${ctx.principal.role}, this needs admin`,
    });
}
const deploymentRef = z.union([
  z.number().int().min(1),
  z
    .string()
    .min(1)
    .max(64)
    .regex(/^[a-z0-9]+$/),
]);

export const appsRouter = router({
  list: viewerProcedure.query(({ ctx }) => call(() => ctx.services.apps.list())),
  get: viewerProcedure.input(byName).query(({ ctx, input }) => call(() => ctx.services.apps.get(input.name))),
  deployments: viewerProcedure
    .input(byName.extend({ limit: z.number().int().min(1).max(500).default(50) }))
    .query(({ ctx, input }) => call(() => ctx.services.apps.deployments(input.name, input))),
  /** one deployment with its build and deploy log */
  deployment: viewerProcedure
    .input(byName.extend({ deployment: deploymentRef }))
    .query(({ ctx, input }) => call(() => ctx.services.apps.deployment(input.name, input.deployment))),
  /** the live containers' last lines */
  logs: viewerProcedure
    .input(byName.extend({ tail: z.number().int().min(1).max(10_000).default(200), since: z.number().min(0).optional() }))
    .query(({ ctx, input }) => call(() => ctx.services.apps.logs(input.name, input))),

  /** a git app's webhook secret is in the answer this once */
  create: operatorProcedure.input(createAppInput).mutation(({ ctx, input }) => {
    if (input.source.kind === 'git') checkLocalRepo(ctx, input.source.url);
    return call(() => ctx.services.apps.create(input, ctx.principal.username));
  }),
  update: operatorProcedure.input(updateAppInput).mutation(({ ctx, input }) => call(() => ctx.services.apps.update(input, ctx.principal.username))),
  /** set (a value) or unset (null) variables; `secret` ones are sealed and never shown again */
  setVars: operatorProcedure
    .input(setVarsInput)
    .mutation(({ ctx, input }) => call(() => ctx.services.apps.setVars(input.name, input.vars, input.secret, ctx.principal.username))),
  /** queues a deploy and answers with the deployment at once (poll apps.deployment for its end), or at its end with `wait` */
  deploy: operatorProcedure.input(byName.extend({ wait: z.boolean().optional() })).mutation(({ ctx, input }) =>
    call(async () => {
      const { deployment, done } = await ctx.services.apps.deploy(input.name, ctx.principal.username);
      if (!input.wait) return deployment;
      await done.catch(() => undefined);
      return ctx.services.apps.deployment(input.name, deployment.id);
    }),
  ),
  /** runs an earlier deployment's image again (default: the one live before the current) */
  rollback: operatorProcedure.input(byName.extend({ deployment: deploymentRef.optional(), wait: z.boolean().optional() })).mutation(({ ctx, input }) =>
    call(async () => {
      const { deployment, done } = await ctx.services.apps.rollback(input.name, input.deployment, ctx.principal.username);
      if (!input.wait) return deployment;
      await done.catch(() => undefined);
      return ctx.services.apps.deployment(input.name, deployment.id);
    }),
  ),
  cancel: operatorProcedure
    .input(byName.extend({ deployment: z.string().min(1).max(64) }))
    .mutation(({ ctx, input }) => call(() => ctx.services.apps.cancel(input.name, input.deployment, ctx.principal.username))),
  remove: operatorProcedure.input(byName).mutation(({ ctx, input }) => call(() => ctx.services.apps.remove(input.name))),
});
