import { beforeAll, describe, expect, it } from 'vitest';
import { runtimeViolations } from '@skiff/test-fixtures';
import { type TestRuntime, useTestRuntime } from './helpers.js';

const env = useTestRuntime();
let t: TestRuntime;
let image: string;
beforeAll(() => {
  ({ t, image } = env);
});

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe('one owner per container', () => {
  it('rm -f racing run -d either prevents the start or removes the started container', async () => {
    const created = new Set<string>();
    const createdNamed = new Map<string, () => void>();
    const off = t.rt.onEvent((e) => {
      if (e.type !== 'container' || e.action !== 'create') return;
      created.add(e.id);
      createdNamed.get(e.attributes.name!)?.();
    });
    try {
      const N = 50;
      const outcomes: string[] = [];
      // each rm -f fires at a random moment of its run's start (cgroup, network, shim) or
      // just after it
      await Promise.all(
        Array.from({ length: N }, async (_, i) => {
          const name = `race${i}`;
          const isCreated = new Promise<void>((r) => createdNamed.set(name, r));
          const run = t.rt.containers.run({ image, name, ports: [{ containerPort: 80, protocol: 'tcp' }], cmd: ['sleep', '1d'] }).catch((e: Error) => e);
          await Promise.race([isCreated, run]);
          await sleep(Math.random() * 60);
          const rm = await t.rt.containers.remove(name, { force: true }).then(
            () => 'removed',
            (e: Error) => e.constructor.name,
          );
          const r = await run;
          outcomes.push(`${rm}/${r instanceof Error ? r.message.slice(0, 40) : 'ran'}`);
        }),
      );
      for (const c of await t.rt.containers.list({ all: true })) await t.rt.containers.remove(c.id, { force: true });
      const tally = new Map<string, number>();
      for (const o of outcomes) tally.set(o, (tally.get(o) ?? 0) + 1);
      console.log('rm -f / run outcomes:', Object.fromEntries(tally));
      expect(await runtimeViolations(t, created, 5000)).toEqual([]);
      expect(created.size).toBeGreaterThan(0);
    } finally {
      off();
    }
  }, 120_000);

  it('rm -f racing start of created containers: started and removed, or never started', async () => {
    const ids = await Promise.all(
      Array.from(
        { length: 20 },
        async () => (await t.rt.containers.create({ image, ports: [{ containerPort: 80, protocol: 'tcp' }], cmd: ['sleep', '1d'] })).id,
      ),
    );
    const outcomes = await Promise.all(
      ids.map(async (id, i) => {
        // half the removals go first, half after the start was asked for
        const first = i % 2 === 0 ? t.rt.containers.remove(id, { force: true }) : t.rt.containers.start(id);
        await sleep(Math.random() * 20);
        const second = i % 2 === 0 ? t.rt.containers.start(id) : t.rt.containers.remove(id, { force: true });
        const [a, b] = await Promise.allSettled([first, second]);
        return `${a.status}/${b.status}`;
      }),
    );
    expect(new Set(outcomes)).toEqual(new Set(['fulfilled/rejected', 'fulfilled/fulfilled']));
    expect(await t.rt.containers.list({ all: true })).toEqual([]);
    expect(await runtimeViolations(t, ids, 5000)).toEqual([]);
  }, 60_000);
});
