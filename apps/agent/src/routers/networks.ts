import { z } from 'zod';
import { call, operatorProcedure, viewerProcedure, router } from '../trpc.js';

const name = z.string().min(1).max(128);

export const networksRouter = router({
  /** every network with the number of containers connected to it */
  list: viewerProcedure.query(({ ctx }) => ctx.runtime.networks.list().map((n) => ({ ...n, containers: ctx.runtime.networks.endpointsOf(n.id).length }))),
  /** Docker-shaped: IPAM config and the connected containers with their addresses */
  inspect: viewerProcedure.input(z.object({ id: name })).query(({ ctx, input }) =>
    call(async () => {
      const n = ctx.runtime.networks.get(input.id);
      const containers: Record<string, { Name: string; EndpointID: string; MacAddress: string; IPv4Address: string; IPv6Address: string; Aliases: string[] }> = {};
      for (const e of ctx.runtime.networks.endpointsOf(n.id)) {
        containers[e.containerId] = { Name: e.name, EndpointID: e.endpoint.hostVeth, MacAddress: e.endpoint.mac, IPv4Address: `${e.endpoint.ip}/${e.endpoint.prefix}`, IPv6Address: '', Aliases: e.endpoint.aliases };
      }
      return {
        Name: n.name,
        Id: n.id,
        Created: n.created,
        Scope: 'local',
        Driver: n.driver,
        EnableIPv6: false,
        IPAM: { Driver: 'default', Config: n.subnet ? [{ Subnet: n.subnet, Gateway: n.gateway, ...(n.ipRange ? { IPRange: n.ipRange } : {}) }] : [] },
        Internal: n.internal,
        Attachable: false,
        Containers: containers,
        Options: n.bridge ? { 'com.docker.network.bridge.name': n.bridge } : {},
        Labels: n.labels,
      };
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
