import { request } from 'node:http';
import { connect, createServer, type Server } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { fixtureRegistry, freePort, stopFixtureRegistry } from '@skiff/test-fixtures';
import { logger } from '@skiff/logger';
import { ReverseProxy } from '@skiff/proxy';
import { AgentHarness } from './agent-harness.js';
import { signalAgent } from './shutdown-helpers.js';

function get(port: number, host: string): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port, path: '/', headers: { host }, agent: false }, (res) => {
      let body = '';
      res.on('data', (d) => (body += d));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
    });
    req.on('error', reject);
    req.end();
  });
}

describe("the agent's reverse proxy", () => {
  let agent: AgentHarness;
  let registry: string;
  let proxyPort: number;

  beforeAll(async () => {
    registry = (await fixtureRegistry()).host;
    proxyPort = await freePort();
    // a test that wants the proxy gives it a free port (test agents default to off)
    agent = await AgentHarness.create([registry], { env: { SKIFF_PROXY_HTTP: `127.0.0.1:${proxyPort}` } });
  }, 120_000);
  afterAll(async () => {
    await agent?.dispose();
    await stopFixtureRegistry();
  }, 90_000);

  it('listens where --proxy-http says and answers unknown hosts with a plain 404', async () => {
    const r = await get(proxyPort, 'nobody.test');
    expect(r).toEqual({ status: 404, body: '404 Not Found\n' });
  });

  it('refuses to start on a taken port, naming the flag', async () => {
    const taken: Server = createServer();
    await new Promise<void>((r) => taken.listen(0, '127.0.0.1', r));
    const port = (taken.address() as { port: number }).port;
    try {
      await expect(AgentHarness.create([], { env: { SKIFF_PROXY_HTTP: `127.0.0.1:${port}` } })).rejects.toThrow(
        new RegExp(`--proxy-http: cannot listen on 127\\.0\\.0\\.1:${port}: the address is in use`),
      );
    } finally {
      taken.close();
    }
  });

  it('does not hold the stop: SIGTERM ends the agent with a proxy client idle and another mid-head', async () => {
    const port = await freePort();
    const other = await AgentHarness.create([], { env: { SKIFF_PROXY_HTTP: `127.0.0.1:${port}` } });
    try {
      const idle = connect(port, '127.0.0.1');
      const slow = connect(port, '127.0.0.1');
      for (const s of [idle, slow]) s.on('error', () => undefined); // cut by the stop: expected
      await new Promise((r) => slow.once('connect', r));
      slow.write('GET / HTTP/1.1\r\nHost: app.test\r\n');
      // a SIGTERM within milliseconds of the ready line can find no handler yet (seen with the proxy off too)
      await new Promise((r) => setTimeout(r, 1_000));
      const stop = await signalAgent(other);
      expect(stop, other.output.slice(-2000)).toMatchObject({ code: 0, killed: false });
      expect(stop.ms).toBeLessThanOrEqual(10_000);
    } finally {
      await other.dispose();
    }
  });

  it("routes to real containers on the agent's bridge and fails over when a replica stops", async () => {
    const image = `${registry}/skiff-test/web:latest`;
    expect(agent.cli(['pull', '-q', image]).code).toBe(0);
    const ids = [1, 2].map((i) => {
      const r = agent.cli([
        'run',
        '-d',
        '--name',
        `web${i}`,
        image,
        'sh',
        '-c',
        `mkdir -p /www && echo replica${i} > /www/index.html && exec httpd -f -p 80 -h /www`,
      ]);
      expect(r.code, r.stderr).toBe(0);
      return r.stdout.trim();
    });
    const ips = ids.map((id) => agent.cli(['inspect', '-f', '{{.NetworkSettings.IPAddress}}', id]).stdout.trim());
    for (const ip of ips) expect(ip).toMatch(/^\d+\.\d+\.\d+\.\d+$/);
    const proxy = new ReverseProxy({ http: { host: '127.0.0.1', port: 0 }, logger: logger.child({ component: 'proxy-test' }) });
    await proxy.start();
    try {
      proxy.setRoutes('web', [{ domain: 'web.test', upstreams: ips.map((host) => ({ host, port: 80 })), https: false }]);
      const at = proxy.addresses.http!.port;
      const bodies = new Set<string>();
      // busybox httpd takes a moment to listen: the first requests may fail over to the other replica
      for (let i = 0; i < 40 && bodies.size < 2; i++) {
        const r = await get(at, 'web.test');
        if (r.status === 200) bodies.add(r.body.trim());
        else await new Promise((res) => setTimeout(res, 100));
      }
      expect(bodies).toEqual(new Set(['replica1', 'replica2']));
      // a replica gone (a redeploy's old container): every request still succeeds, on the other one
      expect(agent.cli(['stop', '-t', '1', ids[0]!]).code).toBe(0);
      for (let i = 0; i < 20; i++) expect(await get(at, 'web.test')).toEqual({ status: 200, body: 'replica2\n' });
    } finally {
      await proxy.close(0);
    }
  });
});
