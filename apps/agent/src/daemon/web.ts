import { existsSync } from 'node:fs';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

export type WebHandler = (req: IncomingMessage, res: ServerResponse) => void;

const WEB_DIR = fileURLToPath(new URL('../../../web', import.meta.url));

/**
 * The dashboard (apps/web, a Next.js app) is served in-process on the agent's own port,
 * so one start command and one address give both API and UI. Without a build, a short
 * page says how to get one.
 */
export async function loadWebHandler(): Promise<WebHandler> {
  if (!existsSync(join(WEB_DIR, '.next', 'BUILD_ID'))) {
    return (_req, res) => {
      res.writeHead(503, { 'content-type': 'text/plain' }).end('The Skiff dashboard is not built: run `npm run build` (scripts/start.sh does). The API is at /trpc.\n');
    };
  }
  const { default: next } = (await import('next')) as unknown as { default: (o: object) => { prepare(): Promise<void>; getRequestHandler(): WebHandler } };
  const app = next({ dev: false, dir: WEB_DIR, quiet: true });
  await app.prepare();
  return app.getRequestHandler();
}
