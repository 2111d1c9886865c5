import { z } from 'zod';
import { call, operatorProcedure, viewerProcedure, router } from '../trpc.js';

const volumeName = z.string().min(1).max(255);

export const volumesRouter = router({
  list: viewerProcedure
    .input(z.object({ dangling: z.boolean().optional(), label: z.array(z.string()).optional(), name: z.array(z.string()).optional() }).optional())
    .query(({ ctx, input }) => call(() => ctx.runtime.volumes.list(input ?? {}))),
  inspect: viewerProcedure.input(z.object({ name: volumeName })).query(({ ctx, input }) => call(() => ctx.runtime.volumes.inspect(input.name))),
  create: operatorProcedure
    .input(z.object({ name: volumeName.optional(), labels: z.record(z.string(), z.string()).optional() }))
    .mutation(({ ctx, input }) => call(() => ctx.runtime.volumes.create(input.name, { labels: input.labels }))),
  remove: operatorProcedure
    .input(z.object({ name: volumeName, force: z.boolean().optional() }))
    .mutation(({ ctx, input }) => call(() => ctx.runtime.volumes.remove(input.name, { force: input.force }))),
  prune: operatorProcedure
    .input(z.object({ all: z.boolean().optional() }).optional())
    .mutation(({ ctx, input }) => call(() => ctx.runtime.volumes.prune({ all: input?.all }))),
});
