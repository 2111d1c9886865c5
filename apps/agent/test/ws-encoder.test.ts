import { describe, expect, it } from 'vitest';
import { once } from 'node:events';
import type { AddressInfo } from 'node:net';
import WebSocket, { WebSocketServer } from 'ws';
import { textFramesForBuffers, wsEncoder } from '../src/daemon/ws-encoder.js';

/** an array as ContainerSummaryCache.list hands it out: its JSON text attached */
function preSerialized<T>(items: T[]): T[] {
  Object.defineProperty(items, Symbol.for('skiff.summariesJson'), { value: Buffer.from(JSON.stringify(items)) });
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
