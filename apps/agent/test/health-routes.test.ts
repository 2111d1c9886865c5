import { createServer, request, type Server } from 'node:http';
import { afterAll, describe, expect, it } from 'vitest';
import { Health } from '../src/daemon/health-routes.js';
import { useAgent } from './use-agent.js';

/** GET /healthz and /readyz: unauthenticated, on the HTTP port and the unix socket, saying nothing else. */
const fx = useAgent();

function get(target: { socketPath: string } | { port: number }, path: string, method = 'GET'): Promise<{ status: number; body: string; type?: string }> {
  return new Promise((resolve, reject) => {
    const req = request({ ...target, host: '127.0.0.1', path, method }, (res) => {
      let body = '';
      res.on('data', (d: Buffer) => (body += d.toString()));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body, type: res.headers['content-type'] }));
    });
    req.on('error', reject);
    req.end();
  });
}

describe('health checks on a running agent', () => {
  it('answers /healthz and /readyz on both listeners without credentials, with nothing but the state', async () => {
    const { agent } = fx;
    for (const target of [{ port: agent.port }, { socketPath: agent.socket }]) {
      const live = await get(target, '/healthz');
      expect(live.status).toBe(200);
      expect(live.type).toBe('application/json');
      expect(JSON.parse(live.body)).toEqual({ status: 'ok' });
      const ready = await get(target, '/readyz?verbose=1');
      expect(ready.status).toBe(200);
      expect(JSON.parse(ready.body)).toEqual({ status: 'ready' });
      const head = await get(target, '/readyz', 'HEAD');
      expect([head.status, head.body]).toEqual([200, '']);
      const post = await get(target, '/healthz', 'POST');
      expect(post.status).toBe(405);
    }
    // the paths are exact: nothing else is served unauthenticated under them
    expect((await get({ port: agent.port }, '/healthz/../trpc/containers.list')).status).not.toBe(200);
  });

  it('keeps answering /readyz with a real database query each time', async () => {
    const { agent } = fx;
    const answers = await Promise.all(Array.from({ length: 20 }, () => get({ port: agent.port }, '/readyz')));
    expect(answers.map((a) => a.status)).toEqual(answers.map(() => 200));
  });
});

describe('readiness states', () => {
  let server: Server | undefined;
  afterAll(() => server?.close());

  it('is 503 with a reason until the runtime and the database are up, and again once stopping', async () => {
    const health = new Health();
    let dbAnswers = true;
    server = createServer((req, res) => {
      if (!health.handle(req, res)) res.writeHead(404).end();
    });
    await new Promise<void>((r) => server!.listen(0, '127.0.0.1', r));
    const port = (server.address() as { port: number }).port;
    const readyz = async () => {
      const r = await get({ port }, '/readyz');
      return { code: r.status, ...(JSON.parse(r.body) as { status: string; reason?: string }) };
    };
    expect(await readyz()).toEqual({ code: 503, status: 'not ready', reason: expect.stringMatching(/re-adopting containers/) });
    expect((await get({ port }, '/healthz')).status).toBe(200); // alive while not ready
    health.ready('runtime');
    expect(await readyz()).toMatchObject({ code: 503, reason: expect.stringMatching(/database/) });
    health.ready('database', () => (dbAnswers ? Promise.resolve(1) : new Promise(() => {})));
    expect((await get({ port }, '/readyz')).status).toBe(200);
    dbAnswers = false; // a database that no longer answers: not ready after the 2 s bound
    expect(await readyz()).toMatchObject({ code: 503, reason: 'the database is not answering' });
    dbAnswers = true;
    expect((await get({ port }, '/readyz')).status).toBe(200);
    health.stop();
    expect(await readyz()).toMatchObject({ code: 503, reason: 'shutting down' });
    expect((await get({ port }, '/other')).status).toBe(404);
  });
});
