import { describe, expect, it } from 'vitest';
import type { ContainerSummary } from '../src/types.js';
import { freeTestSubnet } from '@skiff/test-fixtures';
import { useTestRuntime, waitFor } from './helpers.js';

const env = useTestRuntime();

/** frozen all the way down: what the agent's transport needs to cache an answer's JSON by its identity */
function deeplyFrozen(v: unknown): boolean {
  return v === null || typeof v !== 'object' || (Object.isFrozen(v) && Object.values(v).every(deeplyFrozen));
}

/** what `ps` shows, checked to be deeply frozen */
async function ps(): Promise<ContainerSummary[]> {
  const list = await env.t.rt.containers.list({ all: true });
  expect(deeplyFrozen(list)).toBe(true);
  return list;
}
async function reusedWithin(list: () => Promise<ContainerSummary[]>): Promise<boolean> {
  for (let i = 0; i < 5; i++) {
    const first = await list();
    if ((await list()) === first) return true;
  }
  return false;
}
const byName = (list: ContainerSummary[], name: string) => list.find((s) => s.names[0] === `/${name}`)!;

describe('container summaries (ps)', () => {
  it('are reused while a container does not change, and follow every change that shows', async () => {
    const { id: idle } = await env.t.rt.containers.run({ image: env.image, cmd: ['sleep', '300'], name: 'idle' });
    const { id: busy } = await env.t.rt.containers.run({
      image: env.image,
      cmd: ['sleep', '300'],
      name: 'busy',
      ports: [{ containerPort: 80, protocol: 'tcp' }],
    });
    const { id: made } = await env.t.rt.containers.create({ image: env.image, cmd: ['true'], name: 'made' });

    const first = await ps();
    // the same answer, nothing built again, for each filter (a status that ticks over a
    // second between two calls makes a new one, so a few tries)
    expect(await reusedWithin(() => env.t.rt.containers.list({ all: true }))).toBe(true);
    expect(await reusedWithin(() => env.t.rt.containers.list({}))).toBe(true);
    expect((await env.t.rt.containers.list({})).map((s) => s.names[0]).sort()).toEqual(['/busy', '/idle']);
    expect(Object.isFrozen(first)).toBe(true);
    expect(Object.isFrozen(byName(first, 'busy').ports[0])).toBe(true);
    // a new answer (one container changed) keeps the others' summaries, the same objects (a
    // created container's status does not tick)
    await env.t.rt.containers.rename(idle, 'idle2');
    const second = await ps();
    expect(second).not.toBe(first);
    expect(byName(second, 'idle2').id).toBe(idle);
    expect(byName(second, 'made')).toBe(byName(first, 'made'));
    await env.t.rt.containers.rename(idle, 'idle');
    expect(byName(first, 'busy').ports).toEqual([expect.objectContaining({ privatePort: 80, publicPort: expect.any(Number) })]);

    // rename, stop, start and a network connect each show up at once
    await env.t.rt.containers.rename(busy, 'renamed');
    await env.t.rt.containers.stop(idle, { timeout: 0 });
    await env.t.rt.containers.start(made);
    await waitFor(async () => byName(await ps(), 'made').state === 'exited', 10_000, 'made to exit');
    const net = await env.t.rt.networks.create('summaries', { subnet: freeTestSubnet().subnet });
    await env.t.rt.containers.connect(busy, 'summaries');
    const third = await ps();
    expect(byName(third, 'renamed')).toMatchObject({ id: busy, state: 'running', networks: ['bridge', 'summaries'] });
    // an address on each network while running (the dashboard's IP column), none once stopped
    expect(byName(third, 'renamed').ipAddresses).toEqual([expect.stringMatching(/^\d+\.\d+\.\d+\.\d+$/), expect.stringMatching(/^\d+\.\d+\.\d+\.\d+$/)]);
    expect(byName(third, 'idle').ipAddresses).toBeUndefined();
    expect(byName(third, 'idle')).toMatchObject({ state: 'exited', status: expect.stringMatching(/^Exited \(137\) /) });
    expect(byName(third, 'made')).toMatchObject({ state: 'exited', status: expect.stringMatching(/^Exited \(0\) /) });
    // the running-only answer reused above drops the stopped ones (fewer entries, the rest unchanged)
    expect((await env.t.rt.containers.list({})).map((s) => s.names[0])).toEqual(['/renamed']);
    // and agree with summaries built from scratch (a new runtime on the same root, as after an agent restart)
    await env.t.reopen();
    const fresh = await ps();
    const noStatus = (l: ContainerSummary[]) => l.map(({ status: _, ...rest }) => rest);
    expect(noStatus(fresh)).toEqual(noStatus(third));

    await env.t.rt.containers.disconnect(busy, 'summaries');
    expect(byName(await ps(), 'renamed').networks).toEqual(['bridge']);
    for (const id of [idle, busy, made]) await env.t.rt.containers.remove(id, { force: true });
    await env.t.rt.networks.remove(net.id);
    expect(await ps()).toEqual([]);
  });

  it('tick with time: the status text is never older than the call', async () => {
    const { id } = await env.t.rt.containers.run({ image: env.image, cmd: ['sleep', '300'], name: 'ticking' });
    const first = byName(await ps(), 'ticking');
    expect(first.status).toMatch(/^Up (Less than a second|1 second)$/);
    await new Promise((r) => setTimeout(r, 2200));
    const later = byName(await ps(), 'ticking');
    expect(later.status).toMatch(/^Up [2-4] seconds$/);
    expect(later).not.toBe(first);
    await env.t.rt.containers.remove(id, { force: true });
  });
});
