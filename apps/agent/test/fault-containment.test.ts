import { connect } from 'node:net';
import { describe, expect, it } from 'vitest';
import { useAgent } from './use-agent.js';

/**
 * No API call may take the agent down: a request the parsers refuse gets an error answer,
 * and a fault nothing caught inside one request fails only that request (the agent logs it
 * as a contained fault and keeps serving).
 */
const fx = useAgent({ pull: true });

function rawHttp(socket: string, request: string, timeoutMs = 10_000): Promise<string> {
  return new Promise((resolve) => {
    const s = connect(socket);
    let got = '';
    const timer = setTimeout(() => s.destroy(), timeoutMs);
    s.on('data', (b: Buffer) => (got += b.toString()));
    s.on('error', () => {});
    s.on('close', () => {
      clearTimeout(timer);
      resolve(got);
    });
    s.write(request);
  });
}

const post = (path: string, body: string) =>
  `POST ${path} HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: ${Buffer.byteLength(body)}\r\nConnection: close\r\n\r\n${body}`;

/** a tar header of a file that claims 1000 bytes, followed by 10: the archive ends inside the entry */
function truncatedTar(): Buffer {
  const h = Buffer.alloc(512);
  h.write('cut.txt', 0);
  h.write('0000644\0', 100);
  h.write('0000000\0', 108);
  h.write('0000000\0', 116);
  h.write('00000001750\0', 124);
  h.write('00000000000\0', 136);
  h.write('        ', 148);
  h[156] = 0x30;
  h.write('ustar\u000000', 257);
  let sum = 0;
  for (const b of h) sum += b;
  h.write(`${sum.toString(8).padStart(6, '0')}\0 `, 148);
  return Buffer.concat([h, Buffer.alloc(10, 0x61)]);
}

async function pingOk(): Promise<void> {
  const answer = await rawHttp(fx.agent.socket, 'GET /trpc/system.ping HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n');
  expect(answer).toMatch(/^HTTP\/1\.1 200/);
}

describe('fault containment', () => {
  it('answers a Docker API request whose target no URL parser takes with 400, and stays up', async () => {
    for (const target of ['http://[', 'http://a:99999/containers/json']) {
      const answer = await rawHttp(fx.agent.dockerSocket, `GET ${target} HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n`);
      expect(answer, target).toMatch(/^HTTP\/1\.1 (400|404)/);
      expect(fx.agent.running).toBe(true);
    }
    const upgrade = await rawHttp(fx.agent.dockerSocket, 'POST http://[ HTTP/1.1\r\nHost: x\r\nConnection: Upgrade\r\nUpgrade: tcp\r\n\r\n');
    expect(upgrade).toMatch(/^HTTP\/1\.1 400/);
    expect(fx.agent.running).toBe(true);
    await pingOk();
  });

  it('fails only the call when copyTo gets an archive that ends inside an entry', async () => {
    const r = fx.agent.cli(['run', '-d', '--name', 'cut', fx.image, 'sleep', '3600']);
    expect(r.code, r.stderr).toBe(0);
    for (let i = 0; i < 3; i++) {
      const answer = await rawHttp(
        fx.agent.socket,
        post('/trpc/containers.copyTo', JSON.stringify({ id: 'cut', path: '/tmp', tar: truncatedTar().toString('base64') })),
      );
      expect(answer, fx.agent.output.slice(-3000)).toMatch(/^HTTP\/1\.1 (4|5)\d\d/);
      expect(fx.agent.running, fx.agent.output).toBe(true);
    }
    await pingOk();
    expect(fx.agent.cli(['ps', '-q']).stdout).not.toBe('');
  });
});
