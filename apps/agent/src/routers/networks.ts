import { z } from 'zod';
import { networkJson } from '../docker-json/network.js';
import { call, operatorProcedure, viewerProcedure, router } from '../trpc.js';

const name = z.string().min(1).max(128);

export const networksRouter = router({
  /** every network with the number of containers connected to it */
  list: viewerProcedure.query(({ ctx }) => ctx.runtime.networks.list().map((n) => ({ ...n, containers: ctx.runtime.networks.endpointsOf(n.id).length }))),
  /** Docker's network inspect JSON (the same builder as the Docker API's) */
  inspect: viewerProcedure.input(z.object({ id: name })).query(({ ctx, input }) =>
    call(async () => {
      return networkJson(ctx.runtime.networks, ctx.runtime.networks.get(input.id));
    }),
  ),
  create: operatorProcedure
    .input(
      z.object({
        name,
        subnet: z.string().optional(),
        gateway: z.string().optional(),
        ipRange: z.string().optional(),
        internal: z.boolean().optional(),
        labels: z.record(z.string(), z.string()).optional(),
        driver: z.literal('bridge').optional(),
      }),
    )
    .mutation(({ ctx, input }) => call(() => ctx.runtime.networks.create(input.name, input))),
  remove: operatorProcedure.input(z.object({ id: name })).mutation(({ ctx, input }) => call(() => ctx.runtime.networks.remove(input.id))),
  prune: operatorProcedure.mutation(({ ctx }) => call(() => ctx.runtime.networks.prune())),
  connect: operatorProcedure
    .input(z.object({ network: name, container: z.string().min(1), ip: z.string().optional(), aliases: z.array(z.string()).optional() }))
    .mutation(({ ctx, input }) => call(() => ctx.runtime.containers.connect(input.container, input.network, { ip: input.ip, aliases: input.aliases }))),
  disconnect: operatorProcedure
    .input(z.object({ network: name, container: z.string().min(1) }))
    .mutation(({ ctx, input }) => call(() => ctx.runtime.containers.disconnect(input.container, input.network))),
});
