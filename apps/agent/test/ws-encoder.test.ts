import { describe, expect, it } from 'vitest';
import { wsEncoder } from '../src/daemon/ws-encoder.js';

/** an array as ContainerSummaryCache.list hands it out: its JSON text attached */
function preSerialized<T>(items: T[]): T[] {
  Object.defineProperty(items, Symbol.for('skiff.summariesJson'), { value: JSON.stringify(items) });
  return items;
}

describe('the agent WebSocket encoder', () => {
  it('sends a pre-serialized list as the JSON text JSON.stringify would give', () => {
    const items = [{ id: 'a', status: 'Up $& 5 seconds', labels: { '$1': '"quoted"\n' } }, { id: 'b', names: ['/x'], status: '\u0000skiff-pre-serialized\u0000' }];
    const msg = { id: 7, jsonrpc: '2.0', result: { type: 'data', data: preSerialized(items.map((i) => ({ ...i }))) } };
    expect(wsEncoder.encode(msg)).toBe(JSON.stringify({ id: 7, jsonrpc: '2.0', result: { type: 'data', data: items } }));
    expect(wsEncoder.decode(wsEncoder.encode(msg) as string)).toEqual({ id: 7, jsonrpc: '2.0', result: { type: 'data', data: items } });
  });

  it('stringifies everything else as the default encoder does', () => {
    for (const msg of [{ id: 1, result: { type: 'data', data: [1, 2] } }, { id: 2, error: { message: 'x' } }, { id: 3, result: { type: 'started' } }, { method: 'connectionParams', data: null }]) {
      expect(wsEncoder.encode(msg)).toBe(JSON.stringify(msg));
    }
    expect(() => wsEncoder.decode(new Uint8Array([1]))).toThrow(/text frames/);
  });
});
