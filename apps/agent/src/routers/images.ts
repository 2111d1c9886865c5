import { z } from 'zod';
import type { PullProgress } from '@skiff/runtime';
import { call, procedure, router } from '../trpc.js';

const credentials = z.object({ username: z.string(), password: z.string() }).optional();

export const imagesRouter = router({
  list: procedure
    .input(z.object({ all: z.boolean().optional(), dangling: z.boolean().optional() }).optional())
    .query(({ ctx, input }) => call(() => ctx.runtime.images.list(input ?? {}))),
  inspect: procedure.input(z.object({ ref: z.string().min(1) })).query(({ ctx, input }) => call(() => ctx.runtime.images.inspect(input.ref))),
  tag: procedure
    .input(z.object({ source: z.string().min(1), target: z.string().min(1) }))
    .mutation(({ ctx, input }) => call(() => ctx.runtime.images.tag(input.source, input.target))),
  remove: procedure
    .input(z.object({ ref: z.string().min(1), force: z.boolean().optional() }))
    .mutation(({ ctx, input }) => call(() => ctx.runtime.images.remove(input.ref, { force: input.force }))),
  prune: procedure.mutation(({ ctx }) => call(() => ctx.runtime.images.prune())),

  /** pull with per-layer progress events; the last event carries the pulled image */
  pull: procedure.input(z.object({ ref: z.string().min(1), auth: credentials })).subscription(async function* ({ ctx, input, signal }) {
    const queue: PullProgress[] = [];
    let wake: (() => void) | undefined;
    let done = false;
    let failure: unknown;
    const result = ctx.runtime.images
      .pull(input.ref, {
        signal,
        auth: input.auth,
        onProgress: (p) => {
          queue.push(p);
          if (queue.length > 1000) queue.splice(0, queue.length - 1000);
          wake?.();
        },
      })
      .then(
        (image) => image,
        (e) => {
          failure = e;
          return undefined;
        },
      )
      .finally(() => {
        done = true;
        wake?.();
      });
    for (;;) {
      while (queue.length) yield { progress: queue.shift()! };
      if (done) break;
      await new Promise<void>((r) => (wake = r));
      wake = undefined;
    }
    const image = await result;
    if (failure) await call(() => Promise.reject(failure));
    yield { image: image! };
  }),
});
