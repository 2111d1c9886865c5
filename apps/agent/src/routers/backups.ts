import { z } from 'zod';
import { planInput, planName, planUpdate } from '../backups/plan-schema.js';
import { call, operatorProcedure, router, viewerProcedure } from '../trpc.js';

const runId = z.string().regex(/^[a-z0-9]{8,64}$/, 'a run id');
const volumeName = z.string().regex(/^[a-zA-Z0-9][a-zA-Z0-9_.-]{0,254}$/, 'a volume name');

/**
 * Backups (docs/apps.md "Backups"): plans, runs, restores. Viewers see plans (never an S3
 * secret) and runs; operators change them, run and restore, as they may change volumes
 * and exec into containers anyway. A local directory outside the agent's own backup
 * directory is host access and needs an admin (checked in plan-store.ts).
 */
export const backupsRouter = router({
  list: viewerProcedure.query(({ ctx }) => call(() => ctx.services.backups.list())),
  get: viewerProcedure.input(z.object({ name: planName })).query(({ ctx, input }) => call(() => ctx.services.backups.get(input.name))),
  create: operatorProcedure.input(planInput).mutation(({ ctx, input }) => call(() => ctx.services.backups.create(input, ctx.principal))),
  update: operatorProcedure.input(planUpdate).mutation(({ ctx, input }) => call(() => ctx.services.backups.update(input, ctx.principal))),
  remove: operatorProcedure
    .input(z.object({ name: planName, purge: z.boolean().optional() }))
    .mutation(({ ctx, input }) => call(() => ctx.services.backups.remove(input.name, ctx.principal, input.purge))),
  /** a run now: by default the call returns it finished (its status says how); `wait: false` returns it running */
  run: operatorProcedure
    .input(z.object({ name: planName, wait: z.boolean().default(true) }))
    .mutation(({ ctx, input }) => call(() => ctx.services.backups.run(input.name, input.wait))),
  runs: viewerProcedure
    .input(z.object({ name: planName.optional(), limit: z.number().int().min(1).max(1000).optional() }).optional())
    .query(({ ctx, input }) => call(() => ctx.services.backups.runs(input ?? {}))),
  restore: operatorProcedure
    .input(
      z
        .object({
          run: runId,
          volume: volumeName.optional(),
          newVolume: volumeName.optional(),
          container: z.string().min(1).max(255).optional(),
          database: z.string().min(1).max(63).optional(),
          force: z.boolean().optional(),
          stop: z.boolean().optional(),
        })
        .strict()
        .refine((r) => !(r.volume && r.newVolume), 'either volume or newVolume'),
    )
    .mutation(({ ctx, input }) => call(() => ctx.services.backups.restore(input))),
  deleteRun: operatorProcedure
    .input(z.object({ run: runId }))
    .mutation(({ ctx, input }) => call(() => ctx.services.backups.deleteRun(input.run, ctx.principal))),
});
