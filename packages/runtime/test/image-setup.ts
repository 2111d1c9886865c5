/**
 * What the image-store tests share: the fixture registry (started once per file) and
 * throw-away store roots, removed after the file. `host` and `fixtures` are live
 * bindings, set by useImageFixtures's beforeAll.
 */
import { readdirSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, expect } from 'vitest';
import { fixtureRegistry, stopFixtureRegistry, type Fixtures } from '@skiff/test-fixtures';
import { ImageStore } from '../src/image/image-store.js';

export let host: string;
export let fixtures: Fixtures;
/** store roots to remove after the file */
export const roots: string[] = [];

export async function freshStore(insecure: string[] = [host]): Promise<{ store: ImageStore; root: string }> {
  const root = await mkdtemp(join(tmpdir(), 'skiff-img-'));
  roots.push(root);
  return { store: await ImageStore.open({ root, insecureRegistries: insecure }), root };
}

/** nothing half-visible after a failed pull: no image, no layer dir, no partial blob */
export function assertNothingLeft(root: string): void {
  expect(readdirSync(join(root, 'layers'))).toEqual([]);
  expect(readdirSync(join(root, 'tmp'))).toEqual([]);
}

/** registers the file's setup (the fixture registry) and teardown (registry, store roots) */
export function useImageFixtures(): void {
  beforeAll(async () => {
    const reg = await fixtureRegistry();
    host = reg.host;
    fixtures = reg.fixtures;
  }, 60_000);

  afterAll(async () => {
    await stopFixtureRegistry();
    for (const r of roots) await rm(r, { recursive: true, force: true });
  });
}
