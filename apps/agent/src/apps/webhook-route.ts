import type { IncomingMessage, ServerResponse } from 'node:http';
import { WEBHOOK_MAX_BODY, WebhookError, verifyWebhook } from '@skiff/git';
import { logger } from '@skiff/logger';
import { isSkiffError } from '@skiff/runtime';
import type { AppService } from './service.js';

const log = logger.child({ component: 'apps' });
export const WEBHOOK_PREFIX = '/hooks/apps/';
const NAME = /^[a-z0-9][a-z0-9-]{0,62}$/;

/** What a webhook caller learns: a status and a sentence, never whether another app exists. */
function answer(res: ServerResponse, status: number, message: string, extra: Record<string, unknown> = {}): void {
  res.writeHead(status, { 'content-type': 'application/json', 'cache-control': 'no-store' }).end(JSON.stringify({ message, ...extra }));
}

/** the raw body, refused past `limit` bytes without reading the rest */
function readBody(req: IncomingMessage, limit: number): Promise<Buffer | undefined> {
  return new Promise((resolve, reject) => {
    const declared = Number(req.headers['content-length'] ?? 0);
    if (declared > limit) return resolve(undefined);
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (c: Buffer) => {
      size += c.length;
      if (size > limit) {
        req.destroy();
        resolve(undefined);
      } else chunks.push(c);
    });
    req.on('end', () => resolve(Buffer.concat(chunks)));
    req.on('error', reject);
  });
}

const STATUS: Record<WebhookError['code'], number> = {
  'unknown-provider': 400,
  'bad-signature': 401,
  'no-secret': 404,
  'bad-payload': 400,
  'not-push': 200,
  'too-large': 413,
  replay: 409,
};

/**
 * `POST /hooks/apps/NAME`: a git host's push webhook (GitHub, GitLab, Gitea/Forgejo), checked
 * against the app's own secret, redeploys the app. Unauthenticated by design: the signature is
 * the credential. A push is only a trigger — the deploy fetches the branch head itself.
 */
export async function serveAppWebhook(apps: AppService, req: IncomingMessage, res: ServerResponse): Promise<void> {
  const name = decodeURIComponent((req.url ?? '').slice(WEBHOOK_PREFIX.length).split('?')[0] ?? '');
  if (req.method !== 'POST') return answer(res, 405, 'webhooks are POSTed');
  const body = await readBody(req, WEBHOOK_MAX_BODY);
  if (!body) return answer(res, 413, 'the webhook body is too large');
  // an unknown app and an app without a secret look the same to the caller
  const secret = NAME.test(name) ? await apps.webhookSecret(name).catch(() => undefined) : undefined;
  if (!secret) return answer(res, 404, 'no such webhook');
  try {
    const push = verifyWebhook(req.headers, body, secret);
    const app = await apps.get(name);
    if (app.source.kind === 'git' && push.branch && push.branch !== app.source.branch) {
      return answer(res, 202, `a push to ${push.branch}, not ${app.source.branch}: nothing to deploy`);
    }
    const { deployment } = await apps.deploy(name, `webhook (${push.provider})`);
    log.info('webhook: deploy queued', { app: name, provider: push.provider, deployment: deployment.id });
    return answer(res, 202, 'deploy queued', { deployment: deployment.id, number: deployment.number });
  } catch (e) {
    if (e instanceof WebhookError) {
      log.info('webhook refused', { app: name, code: e.code });
      return answer(res, STATUS[e.code], e.code === 'not-push' ? 'not a push: nothing to deploy' : e.message);
    }
    if (isSkiffError(e)) return answer(res, 409, e.message);
    throw e;
  }
}
