import type { RuntimeEvent } from '@skiff/runtime';
import { SKIFF_VERSION } from '@skiff/runtime';
import { z } from 'zod';
import { wakeOrAbort } from '../abort-wait.js';
import { processResources } from '../daemon/process-resources.js';
import { eventFilter } from '../event-filter.js';
import { EVENT_FILTER_KEYS } from '../event-query.js';
import { adminProcedure, call, operatorProcedure, publicProcedure, viewerProcedure, router } from '../trpc.js';

const sum = (items: { size: number }[]) => items.reduce((a, i) => a + Math.max(0, i.size), 0);

export const systemRouter = router({
  info: viewerProcedure.query(({ ctx }) => call(() => ctx.runtime.info())),
  version: viewerProcedure.query(() => ({ version: SKIFF_VERSION, apiVersion: '1', node: process.version, os: process.platform, arch: process.arch })),
  ping: publicProcedure.query(() => 'OK' as const),
  /** the agent process's open files, handles, memory and listener-leak warnings (docker info's NFd, NGoroutines) */
  resources: adminProcedure.query(() => processResources()),

  /** docker system df */
  df: viewerProcedure.query(({ ctx }) =>
    call(async () => {
      const du = await ctx.runtime.images.diskUsage();
      const users = new Map<string, number>();
      const running = new Set<string>();
      for (const c of await ctx.runtime.containers.list({ all: true })) {
        users.set(c.imageId, (users.get(c.imageId) ?? 0) + 1);
        if (c.state === 'running') running.add(c.id);
      }
      const containers = await ctx.runtime.containers.diskUsage();
      const stopped = containers.filter((c) => !running.has(c.id));
      const volumes = await ctx.runtime.volumes.list();
      const volumeSizes = await Promise.all(
        volumes.map(async (v) => ({ name: v.name, size: await ctx.runtime.volumes.size(v.name), usedBy: v.usedBy.length })),
      );
      const items = du.images.map((i) => ({ ...i, containers: users.get(i.id) ?? 0 }));
      // as the docker CLI counts: what containers' images hold beyond the shared layers stays
      const inUse = items.filter((i) => i.containers > 0);
      const held = inUse.reduce((a, i) => a + i.size - i.sharedSize, 0);
      return {
        images: { count: items.length, active: inUse.length, size: du.layersSize, reclaimable: Math.max(0, du.layersSize - held), items },
        containers: {
          count: containers.length,
          active: containers.length - stopped.length,
          size: sum(containers),
          reclaimable: sum(stopped),
          items: containers,
        },
        volumes: {
          count: volumes.length,
          active: volumeSizes.filter((v) => v.usedBy > 0).length,
          size: sum(volumeSizes),
          reclaimable: sum(volumeSizes.filter((v) => v.usedBy === 0)),
          items: volumeSizes,
        },
      };
    }),
  ),

  /** docker system prune: stopped containers, unused networks, dangling images (and unused anonymous volumes with volumes) */
  prune: operatorProcedure.input(z.object({ volumes: z.boolean().optional() }).optional()).mutation(({ ctx, input }) =>
    call(async () => ({
      containers: (await ctx.runtime.containers.prune()).deleted,
      networks: await ctx.runtime.networks.prune(),
      images: (await ctx.runtime.images.prune()).deleted,
      volumes: input?.volumes ? (await ctx.runtime.volumes.prune()).deleted : [],
    })),
  ),

  /** the runtime's last events (up to 200 kept in memory), newest first */
  recentEvents: viewerProcedure
    .input(z.object({ limit: z.number().int().min(1).max(200).optional() }).optional())
    .query(({ ctx, input }) => ctx.services.events.recent(input?.limit ?? 50)),

  /**
   * lifecycle events as they happen (docker events): `filters` as docker's (type, event,
   * container, image, label, network, volume), `since`/`until` in ns since the epoch replay
   * the kept events in that window; `until` ends the stream
   */
  events: viewerProcedure
    .input(
      z
        .object({
          type: z.enum(['container', 'image', 'volume', 'network']).optional(),
          filters: z.partialRecord(z.enum(EVENT_FILTER_KEYS), z.array(z.string().max(512)).max(64)).optional(),
          since: z.number().nonnegative().finite().optional(),
          until: z.number().nonnegative().finite().optional(),
        })
        .optional(),
    )
    .subscription(async function* ({ ctx, input, signal }) {
      const match = eventFilter({ ...input?.filters, ...(input?.type ? { type: [input.type] } : {}) });
      const { since, until } = input ?? {};
      const inWindow = (e: RuntimeEvent) => (since === undefined || e.time >= since) && (until === undefined || e.time <= until);
      const queue: RuntimeEvent[] = [];
      let wake: (() => void) | undefined;
      // the replay comes through the caller's runtime and listener, as live events do
      const off = ctx.runtime.onEvent(
        (e) => {
          if (!inWindow(e) || !match(e)) return;
          queue.push(e);
          if (queue.length > 10_000) queue.shift(); // a client that stopped reading loses the oldest
          wake?.();
        },
        { replay: since !== undefined || until !== undefined },
      );
      const left = until === undefined ? Infinity : until / 1e6 - Date.now();
      const timer = left < 2 ** 31 - 1 ? setTimeout(() => wake?.(), Math.max(0, left) + 1) : undefined;
      try {
        while (!signal?.aborted) {
          while (queue.length) yield queue.shift()!;
          if (until !== undefined && Date.now() * 1e6 > until) return;
          await wakeOrAbort(signal, (w) => (wake = w));
        }
      } finally {
        off();
        clearTimeout(timer);
      }
    }),
});
