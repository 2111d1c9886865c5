/**
 * Automating Skiff from TypeScript: pull an image, run a container, wait for it, read its
 * logs. Fully typed through the agent's exported `AppRouter`.
 *
 *   SKIFF_URL=http://127.0.0.1:7777 SKIFF_TOKEN=sk_… npx tsx apps/agent/examples/automate.ts busybox
 */
import { createTRPCClient, createWSClient, httpLink, splitLink, wsLink } from '@trpc/client';
import WebSocket from 'ws';
import type { inferRouterOutputs } from '@trpc/server';
import type { AppRouter } from '@skiff/agent';

/** what a subscription yields, e.g. Events<'images', 'pull'> */
type Events<R extends keyof Outputs, P extends keyof Outputs[R]> = Outputs[R][P] extends AsyncIterable<infer E> ? E : never;
type Outputs = inferRouterOutputs<AppRouter>;

const base = process.env.SKIFF_URL ?? 'http://127.0.0.1:7777';
const token = process.env.SKIFF_TOKEN; // an API token: `skiff token create --scope operate --user admin ci`
const image = process.argv[2] ?? 'busybox';
const headers = token ? { authorization: `Bearer ${token}` } : {};

/** the WebSocket carries the token in its upgrade request */
class AuthedWebSocket extends WebSocket {
  constructor(url: string, protocols?: string | string[]) {
    super(url, protocols, { headers });
  }
}
const ws = createWSClient({ url: `${base.replace(/^http/, 'ws')}/trpc`, WebSocket: AuthedWebSocket as unknown as typeof globalThis.WebSocket });
const skiff = createTRPCClient<AppRouter>({
  links: [
    splitLink({
      condition: (op) => op.type === 'subscription', // streams over WebSocket, the rest over HTTP
      true: wsLink({ client: ws }),
      false: httpLink({ url: `${base}/trpc`, headers }),
    }),
  ],
});

/** Collects a subscription's events until it completes (or `until` says stop). */
function collect<T>(
  subscribe: (h: { onData: (d: T) => void; onError: (e: unknown) => void; onComplete: () => void }) => { unsubscribe(): void },
  until?: (d: T) => boolean,
): Promise<T[]> {
  return new Promise((resolve, reject) => {
    const items: T[] = [];
    const sub = subscribe({
      onData: (d) => {
        items.push(d);
        if (until?.(d)) {
          sub.unsubscribe();
          resolve(items);
        }
      },
      onError: reject,
      onComplete: () => resolve(items),
    });
  });
}

// 1. pull, with per-layer progress
const pull = await collect<Events<'images', 'pull'>>(
  (h) => skiff.images.pull.subscribe({ ref: image }, h),
  (e) => 'image' in e,
);
const pulled = pull.at(-1)!;
console.log('pulled', 'image' in pulled ? pulled.image.id : '?');

// 2. run detached
const { id } = await skiff.containers.run.mutate({ spec: { image, cmd: ['sh', '-c', 'echo hello from $(hostname); exit 3'] } });
console.log('started', id.slice(0, 12));

// 3. wait for it to exit
const [{ statusCode }] = await collect<Events<'containers', 'wait'>>(
  (h) => skiff.containers.wait.subscribe({ id }, h),
  () => true,
);
console.log('exit code', statusCode);

// 4. read its logs
const logs = await collect<Events<'containers', 'logs'>>((h) => skiff.containers.logs.subscribe({ id, options: { timestamps: true } }, h));
for (const l of logs) process.stdout.write(`[${l.stream}] ${l.line}`);

await skiff.containers.remove.mutate({ id });
ws.close();
