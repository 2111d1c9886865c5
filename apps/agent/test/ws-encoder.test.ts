import { describe, expect, it, vi } from 'vitest';
import { once } from 'node:events';
import type { AddressInfo } from 'node:net';
import WebSocket, { WebSocketServer } from 'ws';
import { JsonTextWebSocket, wsEncoder } from '../src/daemon/ws-encoder.js';

/** deeply frozen, as the runtime hands out container summaries */
function deepFreeze<T>(o: T): T {
  if (o && typeof o === 'object') {
    Object.freeze(o);
    for (const v of Object.values(o)) deepFreeze(v);
  }
  return o;
}

const envelope = (id: number, data: unknown) => ({ id, jsonrpc: '2.0', result: { type: 'data', data } });

/** a server whose sockets are the agent's, and a client connected to it */
async function connected(): Promise<{ server: JsonTextWebSocket; client: WebSocket; close: () => void }> {
  const wss = new WebSocketServer({ port: 0, host: '127.0.0.1', WebSocket: JsonTextWebSocket });
  await once(wss, 'listening');
  const client = new WebSocket(`ws://127.0.0.1:${(wss.address() as AddressInfo).port}`);
  const [server] = (await once(wss, 'connection')) as [JsonTextWebSocket];
  await once(client, 'open');
  return {
    server,
    client,
    close: () => {
      client.close();
      wss.close();
    },
  };
}

describe('the agent WebSocket encoder', () => {
  it('sends a frozen list as the JSON text JSON.stringify would give', () => {
    const items = [
      { id: 'a', status: 'Up $& 5 seconds', labels: { $1: '"quoted"\n' } },
      { id: 'b', names: ['/x'], status: '\u0000skiff-pre-serialized\u0000', gone: undefined },
      null,
    ];
    const msg = envelope(7, deepFreeze(structuredClone(items)));
    const sent = wsEncoder.encode(msg);
    expect(Buffer.isBuffer(sent)).toBe(true);
    expect(Buffer.from(sent).toString()).toBe(JSON.stringify(envelope(7, items)));
    expect(wsEncoder.decode(Buffer.from(sent).toString())).toEqual(JSON.parse(JSON.stringify(envelope(7, items))));
  });

  it('serialises a list once while it is the same list, and each unchanged item once', () => {
    const items = Array.from({ length: 3 }, (_, i) => deepFreeze({ id: `c${i}`, status: `Up ${i} seconds` }));
    let toJsonCalls = 0;
    // a frozen item whose JSON can differ from call to call (toJSON): counted
    const counted = Object.freeze({ id: 'x', toJSON: () => ({ id: `x${toJsonCalls++}` }) });
    const list = deepFreeze([...items]);
    const stringify = vi.spyOn(JSON, 'stringify');
    try {
      const a = Buffer.from(wsEncoder.encode(envelope(1, list))).toString();
      expect(stringify).toHaveBeenCalledTimes(1 + items.length); // the envelope and each item
      stringify.mockClear();
      const b = Buffer.from(wsEncoder.encode(envelope(2, list))).toString();
      expect(stringify).toHaveBeenCalledTimes(1); // the envelope only
      expect(JSON.parse(a)).toEqual(envelope(1, items));
      expect(JSON.parse(b)).toEqual(envelope(2, items));
      // a new list (one container changed) serialises only its new item
      stringify.mockClear();
      const changed = deepFreeze({ id: 'c1', status: 'Exited (0)' });
      const c = Buffer.from(wsEncoder.encode(envelope(3, Object.freeze([items[0], changed, items[2]])))).toString();
      expect(stringify).toHaveBeenCalledTimes(2);
      expect(JSON.parse(c)).toEqual(envelope(3, [items[0], changed, items[2]]));
    } finally {
      stringify.mockRestore();
    }
    // such a list is stringified every time, never cached
    const withToJson = Object.freeze([...items, counted]);
    expect(wsEncoder.encode(envelope(3, withToJson))).toBe(JSON.stringify(envelope(3, [...items, { id: 'x0' }])));
    expect(wsEncoder.encode(envelope(4, withToJson))).toBe(JSON.stringify(envelope(4, [...items, { id: 'x1' }])));
    expect(toJsonCalls).toBe(2);
    // a list that is not frozen (or has an unfrozen item) is stringified, as tRPC would
    expect(wsEncoder.encode(envelope(5, [...items]))).toBe(JSON.stringify(envelope(5, items)));
    const loose = Object.freeze([items[0], Object.freeze({ nested: { v: 1 } })]);
    (loose[1] as { nested: { v: number } }).nested.v = 2;
    expect(wsEncoder.encode(envelope(6, loose))).toBe(JSON.stringify(envelope(6, loose)));
    const date = deepFreeze([Object.freeze({ at: Object.freeze(new Date(0)) })]);
    expect(wsEncoder.encode(envelope(7, date))).toBe(JSON.stringify(envelope(7, date)));
  });

  it("reuses a message's buffer once the socket has written it, never while it is lent out", async () => {
    const items = Array.from({ length: 500 }, (_, i) => ({ id: `c${i}`, status: `Up ${i} seconds`, names: ['/ü-é'] }));
    const list = deepFreeze(structuredClone(items));
    const { server, client, close } = await connected();
    const got: string[] = [];
    const arrived = (n: number) => new Promise<void>((resolve) => client.on('message', (data: Buffer) => got.push(data.toString()) === n && resolve()));
    const a = wsEncoder.encode(envelope(1, list)) as Buffer;
    const b = wsEncoder.encode(envelope(2, list)) as Buffer;
    expect(b.buffer).not.toBe(a.buffer); // a is not sent yet
    const both = arrived(2);
    server.send(a);
    server.send(b);
    await both;
    await new Promise((r) => setImmediate(r));
    const c = wsEncoder.encode(envelope(3, list)) as Buffer;
    expect([a.buffer, b.buffer]).toContain(c.buffer);
    expect(got.map((t) => JSON.parse(t) as unknown)).toEqual([1, 2].map((id) => envelope(id, items)));
    close();
  });

  it('stringifies everything else as the default encoder does', () => {
    for (const msg of [
      { id: 1, result: { type: 'data', data: [1, 2] } },
      { id: 2, error: { message: 'x' } },
      { id: 3, result: { type: 'started' } },
      { method: 'connectionParams', data: null },
    ]) {
      expect(wsEncoder.encode(msg)).toBe(JSON.stringify(msg));
    }
    expect(() => wsEncoder.decode(new Uint8Array([1]))).toThrow(/text frames/);
  });

  it('sends its own buffers as text frames; any other send is as ws makes it', async () => {
    const { server, client, close } = await connected();
    const got: [boolean, string][] = [];
    const all = new Promise<void>((resolve) =>
      client.on('message', (data: Buffer, isBinary: boolean) => {
        got.push([isBinary, isBinary ? data.toString('hex') : data.toString()]);
        if (got.length === 4) resolve();
      }),
    );
    const sentCb = new Promise<Error | undefined>((resolve) => server.send('cb', resolve));
    server.send(wsEncoder.encode(envelope(1, deepFreeze([{ text: true }]))));
    server.send(Buffer.from([0, 1])); // someone else's Buffer stays binary
    server.send(Buffer.from([2]), { binary: true });
    await all;
    expect(await sentCb).toBeFalsy(); // ws reports success as null
    expect(got).toEqual([
      [false, 'cb'],
      [false, JSON.stringify(envelope(1, [{ text: true }]))],
      [true, '0001'],
      [true, '02'],
    ]);
    close();
  });
});
