import { request } from 'node:http';
import { describe, expect, it } from 'vitest';
import { useAgent } from './use-agent.js';

// Every API refuses the values that would inject resolv.conf / hosts lines, be cut short at
// a NUL, or wrap as a uid, with a 400 that says which value is wrong.
const fx = useAgent({ pull: true });
let token = '';

async function trpc(path: string, input: unknown): Promise<{ status: number; message?: string }> {
  token ||= fx.agent.token('operate');
  const res = await fetch(`${fx.agent.url}/trpc/${path}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
    body: JSON.stringify(input),
  });
  const body = (await res.json()) as { error?: { message: string } };
  return { status: res.status, message: body.error?.message };
}

function dockerApi(method: string, path: string, body: unknown): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = request({ socketPath: fx.agent.dockerSocket, method, path, headers: { 'content-type': 'application/json' } }, (res) => {
      let text = '';
      res.setEncoding('utf8');
      res.on('data', (d: string) => (text += d));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body: text }));
    });
    req.on('error', reject);
    req.end(JSON.stringify(body));
  });
}

describe('create and exec values at the API edge', () => {
  it('tRPC answers 400 for --dns, -u, NUL and --add-host values that the runtime would misuse', async () => {
    const base = { image: fx.image, cmd: ['true'] };
    for (const [extra, why] of [
      [{ dns: ['192.0.2.1\nnameserver 198.51.100.66'] }, /invalid --dns/],
      [{ user: '99999999999' }, /invalid uid .*99999999999.*must be a number from 0 to 4294967294/],
      [{ cmd: ['echo', 'a\0b'] }, /NUL byte/],
      [{ env: ['A=\0'] }, /NUL byte/],
      [{ labels: { k: 'v\0' } }, /NUL byte/],
      [{ extraHosts: ['a:192.0.2.1\n198.51.100.66 registry'] }, /invalid --add-host/],
      [{ links: ['x:alias\nevil'] }, /invalid --link/],
    ] as const) {
      const r = await trpc('containers.create', { ...base, ...extra });
      expect(r, JSON.stringify(extra)).toMatchObject({ status: 400, message: expect.stringMatching(why) });
    }
    const ok = await trpc('containers.create', { ...base, dns: ['192.0.2.53'], user: '4294967294' });
    expect(ok.status).toBe(200);
  });

  it('the Docker API answers 400 with the reason', async () => {
    const dns = await dockerApi('POST', '/v1.47/containers/create', {
      Image: fx.image,
      Cmd: ['true'],
      HostConfig: { Dns: ['192.0.2.1\nnameserver 198.51.100.66'] },
    });
    expect(dns.status).toBe(400);
    expect(JSON.parse(dns.body).message).toMatch(/invalid --dns/);
    const user = await dockerApi('POST', '/v1.47/containers/create', { Image: fx.image, Cmd: ['true'], User: '99999999999' });
    expect(user.status).toBe(400);
    expect(JSON.parse(user.body).message).toMatch(/invalid uid/);
    const nul = await dockerApi('POST', '/v1.47/containers/create', { Image: fx.image, Cmd: ['echo', 'a\0b'] });
    expect(nul.status).toBe(400);
    expect(JSON.parse(nul.body).message).toMatch(/NUL byte/);
  });
});
