import { z } from 'zod';
import { parseReference, type ImageInspect, type PullProgress } from '@skiff/runtime';
import { call, operatorProcedure, viewerProcedure, router, type Context } from '../trpc.js';
import { filterImages } from '../image-filter.js';
import { eventStream } from './event-stream.js';

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
  /** `compression` applies to plain-tar layers (imported or loaded images); zstd needs an OCI manifest */
  push: operatorProcedure
    .input(z.object({ ref: z.string().min(1), auth: credentials, compression: z.enum(['gzip', 'zstd']).optional() }))
    .mutation(async ({ ctx, input }) => {
      const auth = input.auth ?? (await storedCredentials(ctx, input.ref));
      return call(() => ctx.runtime.images.push(input.ref, { auth, compression: input.compression }));
    }),
  /** `filters` as docker's `images --filter` (image-filter.ts): dangling, label, before, since, reference, until */
  list: viewerProcedure
    .input(
      z
        .object({
          all: z.boolean().optional(),
          dangling: z.boolean().optional(),
          filters: z.record(z.string().max(64), z.array(z.string().max(1024)).max(64)).optional(),
        })
        .optional(),
    )
    .query(({ ctx, input }) =>
      call(async () => {
        const { filters, ...opts } = input ?? {};
        const images = await ctx.runtime.images.list(opts);
        return filters ? filterImages(images, filters, (ref) => ctx.runtime.images.inspect(ref)) : images;
      }),
    ),
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
    const auth = input.auth ?? (await storedCredentials(ctx, input.ref));
    try {
      for await (const item of eventStream<PullProgress, ImageInspect>((emit) => ctx.runtime.images.pull(input.ref, { signal, auth, onProgress: emit }))) {
        yield 'event' in item ? { progress: item.event } : { image: item.result };
      }
    } catch (e) {
      await call(() => Promise.reject(e));
    }
  }),
});
