import { Readable } from 'node:stream';
import { TRPCError } from '@trpc/server';
import { z } from 'zod';
import { call, drained, operatorProcedure, viewerProcedure, router } from '../trpc.js';
import { reattachGraceMs, sessionOwner } from '../sessions.js';
import { containerCreateSpec, containerUpdateSpec, execSpec, idOrName, logsOptions } from '../schemas.js';

const statusEnum = z.enum(['created', 'running', 'paused', 'restarting', 'exited', 'removing', 'dead']);

async function streamToBase64(stream: NodeJS.ReadableStream, limit = 512 * 1024 * 1024): Promise<string> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const c of stream as AsyncIterable<Buffer>) {
    size += c.length;
    if (size > limit) throw new TRPCError({ code: 'PAYLOAD_TOO_LARGE', message: 'archive larger than 512 MiB' });
    chunks.push(c);
  }
  return Buffer.concat(chunks).toString('base64');
}

export const containersRouter = router({
  list: viewerProcedure
    .input(
      z
        .object({
          all: z.boolean().optional(),
          filters: z
            .object({
              status: z.array(statusEnum).optional(),
              name: z.array(z.string()).optional(),
              label: z.array(z.string()).optional(),
              id: z.array(z.string()).optional(),
              health: z.array(z.enum(['starting', 'healthy', 'unhealthy', 'none'])).optional(),
            })
            .optional(),
        })
        .optional(),
    )
    .query(({ ctx, input }) => call(() => ctx.runtime.containers.list(input ?? {}))),

  inspect: viewerProcedure.input(z.object({ id: idOrName })).query(({ ctx, input }) => call(() => ctx.runtime.containers.inspect(input.id))),

  prune: operatorProcedure.mutation(({ ctx }) => call(() => ctx.runtime.containers.prune())),
  create: operatorProcedure.input(containerCreateSpec).mutation(({ ctx, input }) => call(() => ctx.runtime.containers.create(input))),

  /** create + start; with `attach` the returned session id streams the output from the first byte */
  run: operatorProcedure.input(z.object({ spec: containerCreateSpec, attach: z.boolean().optional() })).mutation(({ ctx, input }) =>
    call(async () => {
      const { id, session } = await ctx.runtime.containers.run(input.spec, { attach: input.attach });
      return { id, sessionId: session ? ctx.sessions.add(session, !!input.spec.tty, { owner: sessionOwner(ctx.principal), containerId: id }).id : undefined };
    }),
  ),

  start: operatorProcedure.input(z.object({ id: idOrName })).mutation(({ ctx, input }) => call(() => ctx.runtime.containers.start(input.id))),
  stop: operatorProcedure
    .input(z.object({ id: idOrName, timeout: z.number().int().optional(), signal: z.string().optional() }))
    .mutation(({ ctx, input }) => call(() => ctx.runtime.containers.stop(input.id, { timeout: input.timeout, signal: input.signal }))),
  restart: operatorProcedure
    .input(z.object({ id: idOrName, timeout: z.number().int().optional() }))
    .mutation(({ ctx, input }) => call(() => ctx.runtime.containers.restart(input.id, { timeout: input.timeout }))),
  kill: operatorProcedure
    .input(z.object({ id: idOrName, signal: z.string().optional() }))
    .mutation(({ ctx, input }) => call(() => ctx.runtime.containers.kill(input.id, input.signal))),
  pause: operatorProcedure.input(z.object({ id: idOrName })).mutation(({ ctx, input }) => call(() => ctx.runtime.containers.pause(input.id))),
  unpause: operatorProcedure.input(z.object({ id: idOrName })).mutation(({ ctx, input }) => call(() => ctx.runtime.containers.unpause(input.id))),
  remove: operatorProcedure
    .input(z.object({ id: idOrName, force: z.boolean().optional(), volumes: z.boolean().optional() }))
    .mutation(({ ctx, input }) => call(() => ctx.runtime.containers.remove(input.id, input))),
  /** `docker update`: resource limits and restart policy of an existing container, applied at once when it runs */
  update: operatorProcedure
    .input(z.object({ id: idOrName, spec: containerUpdateSpec }))
    .mutation(({ ctx, input }) => call(() => ctx.runtime.containers.update(input.id, input.spec))),

  rename: operatorProcedure
    .input(z.object({ id: idOrName, name: z.string().min(1) }))
    .mutation(({ ctx, input }) => call(() => ctx.runtime.containers.rename(input.id, input.name))),
  top: viewerProcedure
    .input(z.object({ id: idOrName, psArgs: z.string().max(200).optional() }))
    .query(({ ctx, input }) => call(() => ctx.runtime.containers.top(input.id, input.psArgs))),
  stats: viewerProcedure.input(z.object({ id: idOrName })).query(({ ctx, input }) => call(() => ctx.runtime.containers.stats(input.id))),
  /** CPU % and memory of many running containers in one call (the dashboard list's columns); stopped or unknown ones are left out */
  statsSummary: viewerProcedure.input(z.object({ ids: z.array(idOrName).max(500) })).query(({ ctx, input }) =>
    call(async () => {
      const rows = await Promise.all(
        input.ids.map((id) =>
          ctx.runtime.containers.stats(id).then(
            (s) => ({ id, cpuPercent: s.cpuPercent, memoryUsage: s.memoryUsage, memoryLimit: s.memoryLimit }),
            () => null,
          ),
        ),
      );
      return rows.filter((r) => r !== null);
    }),
  ),
  diff: viewerProcedure.input(z.object({ id: idOrName })).query(({ ctx, input }) => call(() => ctx.runtime.containers.diff(input.id))),
  /** docker commit: the container's changes as a new image (tagged with `ref`, else dangling) */
  commit: operatorProcedure
    .input(
      z.object({
        id: idOrName,
        ref: z.string().min(1).max(512).optional(),
        message: z.string().max(4096).optional(),
        author: z.string().max(1024).optional(),
        changes: z.array(z.string().max(4096)).max(100).optional(),
        pause: z.boolean().optional(),
      }),
    )
    .mutation(({ ctx, input }) => call(() => ctx.runtime.containers.commit(input.id, input))),

  /** a tar archive of a path in the container, base64 */
  copyFrom: viewerProcedure
    .input(z.object({ id: idOrName, path: z.string().min(1) }))
    .query(({ ctx, input }) => call(async () => ({ tar: await streamToBase64(await ctx.runtime.containers.copyFrom(input.id, input.path)) }))),
  copyTo: operatorProcedure
    .input(z.object({ id: idOrName, path: z.string().min(1), tar: z.string() }))
    .mutation(({ ctx, input }) => call(() => ctx.runtime.containers.copyTo(input.id, input.path, Readable.from([Buffer.from(input.tar, 'base64')])))),

  /** live stats, one sample per second (docker stats) */
  statsStream: viewerProcedure.input(z.object({ id: idOrName })).subscription(async function* ({ ctx, input, signal }) {
    while (!signal?.aborted) {
      yield await call(() => ctx.runtime.containers.stats(input.id));
      await new Promise((r) => setTimeout(r, 1000));
    }
  }),

  /** resolves (as a one-event stream) when the container stops */
  wait: viewerProcedure.input(z.object({ id: idOrName })).subscription(async function* ({ ctx, input, signal }) {
    yield await call(() => ctx.runtime.containers.wait(input.id, { signal }));
  }),

  logs: viewerProcedure.input(z.object({ id: idOrName, options: logsOptions.optional() })).subscription(async function* ({ ctx, input, signal }) {
    const entries = await call(async () => ctx.runtime.containers.logs(input.id, { ...input.options, signal }));
    for await (const e of entries) {
      yield e;
      await drained(ctx, signal);
    }
  }),

  /**
   * The same lines as `logs` as batches of chunks (`{ stream, time, text }`: consecutive
   * lines with one timestamp, `text` as written), an event per read of the log of up to
   * ~1 MiB: what the dashboard follows, since a tRPC event or even an object per line costs
   * far more than the line. (`skiff logs` reads the byte stream, GET /api/containers/{id}/logs.)
   */
  logChunks: viewerProcedure.input(z.object({ id: idOrName, options: logsOptions.optional() })).subscription(async function* ({ ctx, input, signal }) {
    const batches = await call(async () => ctx.runtime.containers.logChunks(input.id, { ...input.options, signal }));
    for await (const batch of batches) {
      yield batch;
      await drained(ctx, signal);
    }
  }),

  attach: operatorProcedure.input(z.object({ id: idOrName })).mutation(({ ctx, input }) =>
    call(async () => {
      const info = await ctx.runtime.containers.inspect(input.id);
      const session = await ctx.runtime.containers.attach(input.id);
      return { sessionId: ctx.sessions.add(session, info.Config.Tty, { owner: sessionOwner(ctx.principal), containerId: info.Id }).id, tty: info.Config.Tty };
    }),
  ),

  /**
   * Starts a process in the container; its session ends (the process killed) when the reader
   * goes away for good. An interactive one (tty + stdin) waits a grace for a new reader, and
   * `reattach` (the id of such a session of the caller's, on this container) returns that
   * session instead of starting another: a reloaded terminal gets its shell back.
   */
  exec: operatorProcedure.input(z.object({ id: idOrName, spec: execSpec, reattach: z.string().max(64).optional() })).mutation(({ ctx, input }) =>
    call(async () => {
      const owner = sessionOwner(ctx.principal);
      const { Id: containerId } = await ctx.runtime.containers.inspect(input.id);
      const previous = input.reattach ? ctx.sessions.get(input.reattach, owner) : undefined;
      if (previous?.live && previous.opts.containerId === containerId) return { sessionId: previous.id, reattached: true };
      const session = await ctx.runtime.containers.exec(input.id, input.spec);
      const interactive = !!input.spec.tty && !!input.spec.stdin;
      const s = ctx.sessions.add(session, !!input.spec.tty, { owner, containerId, killOnClose: true, graceMs: interactive ? reattachGraceMs() : 0 });
      return { sessionId: s.id, reattached: false };
    }),
  ),

  /** `exec -d`: the process runs on with no stdin and its output dropped, like Docker's detached exec */
  execDetached: operatorProcedure.input(z.object({ id: idOrName, spec: execSpec })).mutation(({ ctx, input }) =>
    call(async () => {
      await ctx.runtime.containers.exec(input.id, { ...input.spec, stdin: false, tty: false });
      return {};
    }),
  ),

  // ---- stdio sessions: output as a subscription, input as mutations ----
  sessionOutput: operatorProcedure.input(z.object({ sessionId: z.string() })).subscription(async function* ({ ctx, input, signal }) {
    const s = ctx.sessions.get(input.sessionId, sessionOwner(ctx.principal));
    if (!s) throw new TRPCError({ code: 'NOT_FOUND', message: `no such session: ${input.sessionId}` });
    for await (const e of s.events(signal)) {
      yield e;
      await drained(ctx, signal);
    }
  }),
  sessionInput: operatorProcedure.input(z.object({ sessionId: z.string(), data: z.string().max(1024 * 1024) })).mutation(({ ctx, input }) => {
    ctx.sessions.get(input.sessionId, sessionOwner(ctx.principal))?.session.write(Buffer.from(input.data, 'base64'));
  }),
  sessionResize: operatorProcedure
    .input(z.object({ sessionId: z.string(), rows: z.number().int().min(1).max(10000), cols: z.number().int().min(1).max(10000) }))
    .mutation(({ ctx, input }) => {
      ctx.sessions.get(input.sessionId, sessionOwner(ctx.principal))?.session.resize(input.rows, input.cols);
    }),
  sessionCloseStdin: operatorProcedure.input(z.object({ sessionId: z.string() })).mutation(({ ctx, input }) => {
    ctx.sessions.get(input.sessionId, sessionOwner(ctx.principal))?.session.closeStdin();
  }),
  sessionDetach: operatorProcedure.input(z.object({ sessionId: z.string() })).mutation(({ ctx, input }) => {
    ctx.sessions.get(input.sessionId, sessionOwner(ctx.principal))?.close();
  }),
});
