import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { ContainerStore } from '../src/container/store/container-store.js';
import type { ContainerRecord } from '../src/container/store/container-record.js';

const dirs: string[] = [];
afterEach(async () => {
  for (const d of dirs.splice(0)) await rm(d, { recursive: true, force: true });
});

const record = (store: ContainerStore, name: string, created: string) => ({ id: store.newId(), name, created, labels: {} }) as unknown as ContainerRecord;

describe('ContainerStore', () => {
  it('lists newest first whatever order the containers were added or read back in, sorting once per change', async () => {
    const root = await mkdtemp(join(tmpdir(), 'skiff-store-'));
    dirs.push(root);
    const store = await ContainerStore.open(root);
    // as concurrent creates land: each took its timestamp before its awaits
    for (const [name, created] of [
      ['b', '2026-12-06T05:00:00.200000000Z'],
      ['c', '2026-12-06T05:00:00.300000000Z'],
      ['a', '2026-12-06T05:00:00.100000000Z'],
    ] as const) {
      await store.add(record(store, name, created));
    }
    const names = (list: readonly { record: ContainerRecord }[]) => list.map((c) => c.record.name);
    expect(names(store.newestFirst())).toEqual(['c', 'b', 'a']);
    expect(store.newestFirst()).toBe(store.newestFirst()); // no sort per call while nothing changed
    expect(Object.isFrozen(store.newestFirst())).toBe(true);

    await store.add(record(store, 'd', '2026-12-06T05:00:00.400000000Z'));
    expect(names(store.newestFirst())).toEqual(['d', 'c', 'b', 'a']);
    await store.delete(store.get('c'));
    expect(names(store.newestFirst())).toEqual(['d', 'b', 'a']);

    // a restarted agent reads the directory back in readdir order
    expect(names((await ContainerStore.open(root)).newestFirst())).toEqual(['d', 'b', 'a']);
  });
});
