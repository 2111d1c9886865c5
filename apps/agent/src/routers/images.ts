import { z } from 'zod';
import { parseReference, type PullProgress } from '@skiff/runtime';
import { call, operatorProcedure, viewerProcedure, router, type Context } from '../trpc.js';

const credentials = z.object({ username: z.string(), password: z.string() }).optional();

/** credentials saved with `skiff login` for the reference's registry */
async function storedCredentials(ctx: Context, ref: string): Promise<{ username: string; password: string } | undefined> {
  let registry: string;
  try {
    registry = parseReference(ref).registry;
  } catch {
    return undefined; // the pull reports the bad reference itself
  }
  const row = await ctx.db.registryCredential.findUnique({ where: { registry } });
  return row ? { username: row.username, password: ctx.services.secrets.open(row.secretEncrypted) } : undefined;
}

export const imagesRouter = router({
  push: operatorProcedure.input(z.object({ ref: z.string().min(1), auth: credentials })).mutation(async ({ ctx, input }) => {
    const auth = input.auth ?? (await storedCredentials(ctx, input.ref));
    return call(() => ctx.runtime.images.push(input.ref, { auth }));
  }),
  list: viewerProcedure
    .input(z.object({ all: z.boolean().optional(), dangling: z.boolean().optional() }).optional())
    .query(({ ctx, input }) => call(() => ctx.runtime.images.list(input ?? {}))),
  inspect: viewerProcedure.input(z.object({ ref: z.string().min(1) })).query(({ ctx, input }) => call(() => ctx.runtime.images.inspect(input.ref))),
  tag: operatorProcedure
    .input(z.object({ source: z.string().min(1), target: z.string().min(1) }))
    .mutation(({ ctx, input }) => call(() => ctx.runtime.images.tag(input.source, input.target))),
  remove: operatorProcedure
    .input(z.object({ ref: z.string().min(1), force: z.boolean().optional() }))
    .mutation(({ ctx, input }) => call(() => ctx.runtime.images.remove(input.ref, { force: input.force }))),
  /** dangling images only, or with `all` every image no container uses (docker image prune [-a]) */
  prune: operatorProcedure
    .input(z.object({ all: z.boolean().optional() }).optional())
    .mutation(({ ctx, input }) => call(() => ctx.runtime.images.prune({ all: input?.all }))),
  /** docker history: the config's build steps, newest first, with each layer's unpacked size */
  history: viewerProcedure.input(z.object({ ref: z.string().min(1) })).query(({ ctx, input }) => call(() => ctx.runtime.images.history(input.ref))),

  /** pull with per-layer progress events; the last event carries the pulled image */
  pull: operatorProcedure.input(z.object({ ref: z.string().min(1), auth: credentials })).subscription(async function* ({ ctx, input, signal }) {
    const queue: PullProgress[] = [];
    let wake: (() => void) | undefined;
    let done = false;
    let failure: unknown;
    const auth = input.auth ?? (await storedCredentials(ctx, input.ref));
    const result = ctx.runtime.images
      .pull(input.ref, {
        signal,
        auth,
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
