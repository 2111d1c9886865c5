import { createHmac, randomBytes, randomUUID } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ReplayGuard, verifyWebhook, WebhookError, type WebhookPush } from '../src/index.js';
import { installHook, makeRepo, type TestRepo } from './fixtures/git-repo.js';

const SECRET = 'hook-secret-0123';
const sha = (c: string) => c.repeat(40);
const body = (o: unknown) => Buffer.from(JSON.stringify(o));
const push = (ref = 'refs/heads/main', after = sha('a')) => body({ ref, before: sha('0'), after, repository: { full_name: 'x/y' } });
const hmac = (b: Buffer, s = SECRET) => createHmac('sha256', s).update(b).digest('hex');
const github = (b: Buffer, s = SECRET, event = 'push') => ({
  'x-github-event': event,
  'x-github-delivery': randomUUID(),
  'x-hub-signature-256': `sha256=${hmac(b, s)}`,
});
const gitea = (b: Buffer, s = SECRET, event = 'push') => ({
  'X-Gitea-Event': event,
  'X-Gitea-Delivery': randomUUID(),
  'X-Gitea-Signature': hmac(b, s),
  'X-GitHub-Event': event,
  'X-Hub-Signature-256': `sha256=${hmac(b, s)}`,
});
const gitlab = (token = SECRET, event = 'Push Hook') => ({ 'x-gitlab-event': event, 'x-gitlab-token': token, 'x-gitlab-event-uuid': randomUUID() });

function code(f: () => unknown): string | undefined {
  try {
    f();
  } catch (e) {
    expect(e).toBeInstanceOf(WebhookError);
    return (e as WebhookError).code;
  }
  return undefined;
}

describe('verifyWebhook', () => {
  it('accepts signed pushes from GitHub, Gitea/Forgejo and GitLab and reads branch and commit', () => {
    const g = push('refs/heads/main', sha('b'));
    expect(verifyWebhook(github(g), g, SECRET, { replay: false })).toEqual({ provider: 'github', event: 'push', branch: 'main', commit: sha('b') });
    const t = push('refs/heads/feature/x', sha('c'));
    expect(verifyWebhook(gitea(t), t, SECRET, { replay: false })).toEqual({ provider: 'gitea', event: 'push', branch: 'feature/x', commit: sha('c') });
    const f = push();
    expect(verifyWebhook({ 'x-forgejo-event': 'push', 'x-forgejo-signature': hmac(f) }, f, SECRET, { replay: false })).toMatchObject({ provider: 'gitea' });
    const l = body({ object_kind: 'push', ref: 'refs/heads/main', after: sha('d'), checkout_sha: sha('d') });
    expect(verifyWebhook(gitlab(), l, SECRET, { replay: false })).toEqual({ provider: 'gitlab', event: 'Push Hook', branch: 'main', commit: sha('d') });
    // a tag push has no branch, a deleted branch no commit: the caller deploys neither
    const tag = push('refs/tags/v1');
    expect(verifyWebhook(github(tag), tag, SECRET, { replay: false }).branch).toBeUndefined();
    const del = push('refs/heads/main', sha('0'));
    expect(verifyWebhook(github(del), del, SECRET, { replay: false }).commit).toBeUndefined();
  });

  it('refuses bad signatures, other secrets, tampered bodies and unknown senders', () => {
    const b = push();
    const tampered = push('refs/heads/main', sha('e'));
    expect(code(() => verifyWebhook(github(b, 'other'), b, SECRET, { replay: false }))).toBe('bad-signature');
    expect(code(() => verifyWebhook(github(b), tampered, SECRET, { replay: false }))).toBe('bad-signature');
    expect(code(() => verifyWebhook({ ...github(b), 'x-hub-signature-256': `sha1=${hmac(b)}` }, b, SECRET, { replay: false }))).toBe('bad-signature');
    expect(code(() => verifyWebhook({ 'x-github-event': 'push' }, b, SECRET, { replay: false }))).toBe('bad-signature');
    expect(code(() => verifyWebhook({ ...gitea(b), 'X-Gitea-Signature': hmac(b, 'other') }, b, SECRET, { replay: false }))).toBe('bad-signature');
    expect(code(() => verifyWebhook({ 'x-gitea-event': 'push' }, b, SECRET, { replay: false }))).toBe('bad-signature');
    expect(code(() => verifyWebhook(gitlab('other'), b, SECRET, { replay: false }))).toBe('bad-signature');
    expect(code(() => verifyWebhook(gitlab(`${SECRET}x`), b, SECRET, { replay: false }))).toBe('bad-signature');
    expect(code(() => verifyWebhook({ 'x-gitlab-event': 'Push Hook' }, b, SECRET, { replay: false }))).toBe('bad-signature');
    expect(
      code(() => verifyWebhook({ 'x-hub-signature-256': [`sha256=${hmac(b)}`, `sha256=${hmac(b)}`], 'x-github-event': 'push' }, b, SECRET, { replay: false })),
    ).toBe('bad-signature');
    expect(code(() => verifyWebhook({ 'content-type': 'application/json' }, b, SECRET, { replay: false }))).toBe('unknown-provider');
    expect(code(() => verifyWebhook(github(b, ''), b, '', { replay: false }))).toBe('no-secret');
  });

  it('names events that are not pushes, and refuses bodies that are not push payloads or too large', () => {
    const ping = body({ zen: 'hi', hook_id: 1 });
    let err: WebhookError | undefined;
    try {
      verifyWebhook(github(ping, SECRET, 'ping'), ping, SECRET, { replay: false });
    } catch (e) {
      err = e as WebhookError;
    }
    expect(err).toMatchObject({ code: 'not-push', event: 'ping' });
    expect(code(() => verifyWebhook(gitlab(SECRET, 'Tag Push Hook'), push(), SECRET, { replay: false }))).toBe('not-push');
    expect(code(() => verifyWebhook(gitlab(), body({ object_kind: 'merge_request', ref: 'x', after: 'y' }), SECRET, { replay: false }))).toBe('bad-payload');
    const notJson = Buffer.from('ref=main');
    expect(code(() => verifyWebhook(github(notJson), notJson, SECRET, { replay: false }))).toBe('bad-payload');
    const noRef = body({ after: sha('a') });
    expect(code(() => verifyWebhook(github(noRef), noRef, SECRET, { replay: false }))).toBe('bad-payload');
    const huge = Buffer.alloc(5 * 1024 * 1024, 0x20);
    expect(code(() => verifyWebhook(github(huge), huge, SECRET, { replay: false }))).toBe('too-large');
  });

  it('refuses a replayed delivery: the same signed body, or the same delivery id', () => {
    const guard = new ReplayGuard();
    const b = push('refs/heads/main', sha('f'));
    const h = github(b);
    expect(verifyWebhook(h, b, SECRET, { replay: guard }).commit).toBe(sha('f'));
    expect(code(() => verifyWebhook(h, b, SECRET, { replay: guard }))).toBe('replay');
    // a new delivery id on the old body does not help the attacker: the body is what was signed
    expect(code(() => verifyWebhook({ ...h, 'x-github-delivery': randomUUID() }, b, SECRET, { replay: guard }))).toBe('replay');
    const b2 = push('refs/heads/main', sha('9'));
    expect(code(() => verifyWebhook({ ...github(b2), 'x-github-delivery': h['x-github-delivery'] }, b2, SECRET, { replay: guard }))).toBe('replay');
    // another app (another secret) on the same repository gets the same body once too
    const other = 'second-app-secret';
    expect(verifyWebhook(github(b, other), b, other, { replay: guard }).commit).toBe(sha('f'));
    expect(code(() => verifyWebhook(github(b, other), b, other, { replay: guard }))).toBe('replay');
    // the guard forgets after its TTL and stays bounded
    const small = new ReplayGuard(1000, 3);
    expect(small.checkAndRecord(['a'], 0)).toBe(false);
    expect(small.checkAndRecord(['a'], 500)).toBe(true);
    expect(small.checkAndRecord(['a'], 1500)).toBe(false);
    for (const k of ['b', 'c', 'd', 'e']) small.checkAndRecord([k], 1600);
    expect(small.checkAndRecord(['a'], 1700)).toBe(false);
  });
});

/**
 * A post-receive hook in the served repository POSTs a signed webhook, in each provider's
 * style, to a receiver that calls verifyWebhook: the commit it reports is the one pushed.
 */
describe('a post-receive hook calling the webhook', () => {
  let root: string;
  let repo: TestRepo;
  let server: Server;
  let url: string;
  const received: (WebhookPush | { error: string })[] = [];

  beforeAll(async () => {
    root = await mkdtemp(join(tmpdir(), 'skiff-githook-'));
    repo = await makeRepo(root);
    server = createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        try {
          received.push(verifyWebhook(req.headers, Buffer.concat(chunks), SECRET));
          res.writeHead(202).end();
        } catch (e) {
          received.push({ error: (e as WebhookError).code });
          res.writeHead(401).end();
        }
      });
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    url = `http://127.0.0.1:${(server.address() as { port: number }).port}/hook`;
  });

  afterAll(async () => {
    server?.closeAllConnections();
    server?.close();
    await rm(root, { recursive: true, force: true });
  });

  const hook = (style: string, secret: string) => `#!/usr/bin/env node
// post-receive: one signed ${style}-style push webhook per updated ref
const { createHmac, randomUUID } = require('node:crypto');
const http = require('node:http');
const secret = ${JSON.stringify(secret)};
let input = '';
process.stdin.on('data', (c) => (input += c));
process.stdin.on('end', async () => {
  for (const line of input.trim().split('\\n')) {
    const [before, after, ref] = line.split(' ');
    const body = Buffer.from(JSON.stringify({ object_kind: 'push', ref, before, after, checkout_sha: after }));
    const sig = createHmac('sha256', secret).update(body).digest('hex');
    const headers = ${JSON.stringify(style)} === 'github'
      ? { 'X-GitHub-Event': 'push', 'X-GitHub-Delivery': randomUUID(), 'X-Hub-Signature-256': 'sha256=' + sig }
      : ${JSON.stringify(style)} === 'gitea'
      ? { 'X-Gitea-Event': 'push', 'X-Gitea-Delivery': randomUUID(), 'X-Gitea-Signature': sig }
      : { 'X-Gitlab-Event': 'Push Hook', 'X-Gitlab-Token': secret };
    await new Promise((resolve) => {
      const req = http.request(${JSON.stringify(url)}, { method: 'POST', headers: { ...headers, 'Content-Type': 'application/json' } }, (res) => { res.resume(); res.on('end', resolve); });
      req.on('error', (e) => { console.error('webhook failed', e.message); resolve(); });
      req.end(body);
    });
  }
});
`;

  it('delivers GitHub-, Gitea- and GitLab-style pushes that verify, with the pushed branch and commit', async () => {
    for (const style of ['github', 'gitea', 'gitlab']) {
      await installHook(repo.bare, 'post-receive', hook(style, SECRET).replace(JSON.stringify(url), JSON.stringify(url)));
      received.length = 0;
      const commit = await repo.commit({ [`${style}.txt`]: style }, `push for ${style}`, style === 'gitea' ? 'release' : 'main');
      expect(received).toEqual([{ provider: style, event: style === 'gitlab' ? 'Push Hook' : 'push', branch: style === 'gitea' ? 'release' : 'main', commit }]);
    }
  });

  it('a hook signing with another secret is refused', async () => {
    await installHook(repo.bare, 'post-receive', hook('github', `not-${SECRET}`));
    received.length = 0;
    await repo.commit({ 'x.txt': randomBytes(4).toString('hex') }, 'forged');
    expect(received).toEqual([{ error: 'bad-signature' }]);
  });
});
