import type { RuntimeEvent } from '@skiff/runtime';
import { SKIFF_VERSION } from '@skiff/runtime';
import { z } from 'zod';
import { call, publicProcedure, viewerProcedure, router } from '../trpc.js';

export const systemRouter = router({
  info: viewerProcedure.query(({ ctx }) => call(() => ctx.runtime.info())),
  version: viewerProcedure.query(() => ({ version: SKIFF_VERSION, apiVersion: '1', node: process.version, os: process.platform, arch: process.arch })),
  ping: publicProcedure.query(() => 'OK' as const),

  /** lifecycle events as they happen (docker events) */
  events: viewerProcedure
    .input(z.object({ type: z.enum(['container', 'image']).optional() }).optional())
    .subscription(async function* ({ ctx, input, signal }) {
      const queue: RuntimeEvent[] = [];
      let wake: (() => void) | undefined;
      const off = ctx.runtime.onEvent((e) => {
        if (input?.type && e.type !== input.type) return;
        queue.push(e);
        if (queue.length > 10_000) queue.shift(); // a client that stopped reading loses the oldest
        wake?.();
      });
      try {
        while (!signal?.aborted) {
          while (queue.length) yield queue.shift()!;
          await new Promise<void>((r) => {
            wake = r;
            signal?.addEventListener('abort', () => r(), { once: true });
          });
        }
      } finally {
        off();
      }
    }),
});
