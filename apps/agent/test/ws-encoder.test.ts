import { describe, expect, it } from 'vitest';
import { once } from 'node:events';
import type { AddressInfo } from 'node:net';
import WebSocket, { WebSocketServer } from 'ws';
import { textFramesForBuffers, wsEncoder } from '../src/daemon/ws-encoder.js';

/** an array as ContainerSummaryCache.list hands it out: each item's JSON text attached */
function preSerialized<T>(items: T[]): T[] {
  const parts = items.map((i) => Buffer.from(JSON.stringify(i)));
  Object.defineProperty(items, Symbol.for('skiff.summariesJson'), { value: { parts, bytes: Buffer.byteLength(JSON.stringify(items)) } });
  return items;
}

describe('the agent WebSocket encoder', () => {
  it('sends a pre-serialized list as the JSON text JSON.stringify would give', () => {
    const items = [{ id: 'a', status: 'Up $& 5 seconds', labels: { '$1': '"quoted"\n' } }, { id: 'b', names: ['/x'], status: '\u0000skiff-pre-serialized\u0000' }];
    const msg = { id: 7, jsonrpc: '2.0', result: { type: 'data', data: preSerialized(items.map((i) => ({ ...i }))) } };
    const sent = wsEncoder.encode(msg);
    expect(Buffer.isBuffer(sent)).toBe(true);
    expect(Buffer.from(sent).toString()).toBe(JSON.stringify({ id: 7, jsonrpc: '2.0', result: { type: 'data', data: items } }));
    expect(wsEncoder.decode(Buffer.from(sent).toString())).toEqual({ id: 7, jsonrpc: '2.0', result: { type: 'data', data: items } });
  });

  it('reuses a message\'s buffer once the socket has written it, never while it is lent out', async () => {
    const items = Array.from({ length: 500 }, (_, i) => ({ id: `c${i}`, status: `Up ${i} seconds`, names: ['/ü-é'] }));
    const message = (id: number) => ({ id, jsonrpc: '2.0', result: { type: 'data', data: preSerialized(items.map((i) => ({ ...i }))) } });
    const wss = new WebSocketServer({ port: 0, host: '127.0.0.1' });
    await once(wss, 'listening');
    const client = new WebSocket(`ws://127.0.0.1:${(wss.address() as AddressInfo).port}`);
    const [server] = (await once(wss, 'connection')) as [WebSocket];
    textFramesForBuffers(server);
    const got: string[] = [];
    const arrived = (n: number) => new Promise<void>((resolve) => client.on('message', (data: Buffer) => got.push(data.toString()) === n && resolve()));
    const a = wsEncoder.encode(message(1)) as Buffer;
    const b = wsEncoder.encode(message(2)) as Buffer;
    expect(b.buffer).not.toBe(a.buffer); // a is not sent yet
    const both = arrived(2);
    server.send(a as never);
    server.send(b as never);
    await both;
    await new Promise((r) => setImmediate(r));
    const c = wsEncoder.encode(message(3)) as Buffer;
    expect([a.buffer, b.buffer]).toContain(c.buffer);
    expect(got.map((t) => JSON.parse(t) as unknown)).toEqual([1, 2].map((id) => ({ id, jsonrpc: '2.0', result: { type: 'data', data: items } })));
    client.close();
    wss.close();
  });

  it('stringifies everything else as the default encoder does', () => {
    for (const msg of [{ id: 1, result: { type: 'data', data: [1, 2] } }, { id: 2, error: { message: 'x' } }, { id: 3, result: { type: 'started' } }, { method: 'connectionParams', data: null }]) {
      expect(wsEncoder.encode(msg)).toBe(JSON.stringify(msg));
    }
    expect(() => wsEncoder.decode(new Uint8Array([1]))).toThrow(/text frames/);
  });

  it('sends its bytes as text frames, which clients read as JSON text', async () => {
    const wss = new WebSocketServer({ port: 0, host: '127.0.0.1' });
    await once(wss, 'listening');
    wss.on('connection', (ws) => {
      textFramesForBuffers(ws);
      ws.send(Buffer.from('{"text":true}'));
      ws.send(Buffer.from([0, 1]), { binary: true }); // an explicit binary send stays binary
    });
    const client = new WebSocket(`ws://127.0.0.1:${(wss.address() as AddressInfo).port}`);
    const got: [boolean, string][] = [];
    await new Promise<void>((resolve) =>
      client.on('message', (data: Buffer, isBinary: boolean) => {
        got.push([isBinary, isBinary ? data.toString('hex') : data.toString()]);
        if (got.length === 2) resolve();
      }),
    );
    expect(got).toEqual([[false, '{"text":true}'], [true, '0001']]);
    client.close();
    wss.close();
  });
});
