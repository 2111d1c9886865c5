import { createHash, createHmac, timingSafeEqual } from 'node:crypto';
import { z } from 'zod';
import { WebhookError } from './errors.js';
import { ReplayGuard } from './replay-guard.js';

export type WebhookProvider = 'github' | 'gitlab' | 'gitea';

export interface WebhookPush {
  provider: WebhookProvider;
  event: string;
  /** set when the push was to a branch (`refs/heads/…`), not a tag */
  branch?: string;
  /** the pushed head; absent when the branch was deleted */
  commit?: string;
}

/** GitHub caps payloads at 25 MB, but a push of up to 2048 commits fits well under this */
export const WEBHOOK_MAX_BODY = 4 * 1024 * 1024;

const defaultGuard = new ReplayGuard();

/** the fields every provider's push payload shares */
const PushPayload = z.object({
  ref: z.string().max(1024),
  after: z.string().max(128),
  object_kind: z.string().optional(),
});

type Headers = Record<string, string | string[] | undefined>;

/**
 * Checks a webhook call against the app's secret and returns what was pushed. GitHub
 * (`X-Hub-Signature-256`), Gitea/Forgejo (`X-Gitea-Signature`/`X-Forgejo-Signature`, hex
 * HMAC-SHA256) and GitLab (`X-Gitlab-Token`, the secret itself) are told apart by their
 * headers; every comparison is constant-time. Throws WebhookError: unknown provider, bad
 * signature, not a push (`event` is set, so a caller can answer a `ping` with 200), bad
 * payload, too large, replay. The caller should treat a push as a trigger and deploy the
 * branch head it fetches itself, so even a replay older than the guard's memory cannot
 * roll an app back.
 */
export function verifyWebhook(headers: Headers, rawBody: Buffer, secret: string, opts: { replay?: ReplayGuard | false; maxBytes?: number } = {}): WebhookPush {
  if (!secret) throw new WebhookError('no-secret', 'the app has no webhook secret');
  if (rawBody.length > (opts.maxBytes ?? WEBHOOK_MAX_BODY)) throw new WebhookError('too-large', 'the webhook body is too large');
  const h = lowerHeaders(headers);
  const one = (name: string): string | undefined => {
    const v = h.get(name);
    if (Array.isArray(v)) {
      if (v.length > 1) throw new WebhookError('bad-signature', `the ${name} header is repeated`);
      return v[0];
    }
    return v;
  };
  let provider: WebhookProvider;
  let event: string | undefined;
  let delivery: string | undefined;
  if (
    one('x-gitea-event') !== undefined ||
    one('x-forgejo-event') !== undefined ||
    one('x-gitea-signature') !== undefined ||
    one('x-forgejo-signature') !== undefined
  ) {
    provider = 'gitea';
    event = one('x-gitea-event') ?? one('x-forgejo-event');
    delivery = one('x-gitea-delivery') ?? one('x-forgejo-delivery');
    const sig = one('x-gitea-signature') ?? one('x-forgejo-signature');
    if (!sig || !hmacMatches(secret, rawBody, sig)) throw new WebhookError('bad-signature', 'the Gitea signature does not match');
  } else if (one('x-gitlab-event') !== undefined || one('x-gitlab-token') !== undefined) {
    provider = 'gitlab';
    event = one('x-gitlab-event');
    delivery = one('x-gitlab-event-uuid') ?? one('idempotency-key');
    const token = one('x-gitlab-token');
    if (!token || !sameSecret(token, secret)) throw new WebhookError('bad-signature', 'the GitLab token does not match');
  } else if (one('x-hub-signature-256') !== undefined || one('x-github-event') !== undefined) {
    provider = 'github';
    event = one('x-github-event');
    delivery = one('x-github-delivery');
    const sig = one('x-hub-signature-256');
    if (!sig?.startsWith('sha256=') || !hmacMatches(secret, rawBody, sig.slice(7)))
      throw new WebhookError('bad-signature', 'the GitHub signature does not match');
  } else {
    throw new WebhookError('unknown-provider', 'not a GitHub, GitLab or Gitea webhook (no signature header)');
  }
  const isPush = provider === 'gitlab' ? event === 'Push Hook' : event === 'push';
  if (!isPush) throw new WebhookError('not-push', `ignored ${provider} event: ${event ?? '(none)'}`, event);
  let json: unknown;
  try {
    json = JSON.parse(rawBody.toString('utf8'));
  } catch {
    throw new WebhookError('bad-payload', 'the webhook body is not JSON', event);
  }
  const parsed = PushPayload.safeParse(json);
  if (!parsed.success || (provider === 'gitlab' && parsed.data.object_kind !== undefined && parsed.data.object_kind !== 'push'))
    throw new WebhookError('bad-payload', 'the webhook body is not a push payload', event);
  const guard = opts.replay === undefined ? defaultGuard : opts.replay;
  if (guard) {
    // keyed by the app's secret too: two apps on one repository get the same push body, each once
    const app = createHmac('sha256', secret).update('skiff-replay').digest('hex').slice(0, 32);
    const keys = [`body:${app}:${createHmac('sha256', secret).update(rawBody).digest('hex')}`];
    if (delivery) keys.push(`id:${app}:${provider}:${delivery}`);
    if (guard.checkAndRecord(keys)) throw new WebhookError('replay', 'this webhook delivery was already received', event);
  }
  const { ref, after } = parsed.data;
  const branch = ref.startsWith('refs/heads/') && ref.length > 11 ? ref.slice(11) : undefined;
  const commit = /^[0-9a-f]{40}$/.test(after) && !/^0+$/.test(after) ? after : undefined;
  return { provider, event: event!, ...(branch ? { branch } : {}), ...(commit ? { commit } : {}) };
}

function lowerHeaders(headers: Headers): Map<string, string | string[]> {
  const m = new Map<string, string | string[]>();
  for (const [k, v] of Object.entries(headers)) if (v !== undefined) m.set(k.toLowerCase(), v);
  return m;
}

function hmacMatches(secret: string, body: Buffer, hex: string): boolean {
  if (!/^[0-9a-fA-F]{64}$/.test(hex)) return false;
  const want = createHmac('sha256', secret).update(body).digest();
  return timingSafeEqual(want, Buffer.from(hex, 'hex'));
}

/** equal-length digests, so the comparison time says nothing about the secret's length or prefix */
function sameSecret(given: string, secret: string): boolean {
  const a = createHash('sha256').update(given).digest();
  const b = createHash('sha256').update(secret).digest();
  return timingSafeEqual(a, b);
}
