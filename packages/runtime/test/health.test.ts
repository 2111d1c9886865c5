import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ContainerCreateSpec, HealthState } from '../src/types.js';
import { fixtureRegistry, stopFixtureRegistry } from '@skiff/test-fixtures';
import { TestRuntime, waitFor } from './helpers.js';

/** HEALTHCHECK execution against real containers (busybox from the fixture registry). */
let t: TestRuntime;
let image: string;
const events: string[] = [];
let offEvents: () => void;

const MS = 1e6; // the spec's durations are nanoseconds, as Docker's API

beforeAll(async () => {
  const reg = await fixtureRegistry();
  image = `${reg.host}/skiff-test/busybox:latest`;
  t = await TestRuntime.create([reg.host]);
  await t.rt.images.pull(image);
  offEvents = t.rt.onEvent((e) => {
    if (e.type === 'container' && e.action.startsWith('health_status')) events.push(`${e.attributes.name} ${e.action}`);
  });
}, 120_000);

afterAll(async () => {
  offEvents?.();
  await t?.dispose();
  await stopFixtureRegistry();
}, 60_000);

const run = (name: string, extra: Partial<ContainerCreateSpec>) => t.rt.containers.run({ image, name, network: 'none', cmd: ['sleep', '120'], ...extra });

async function health(id: string): Promise<HealthState | undefined> {
  return ((await t.rt.containers.inspect(id)).State as { Health?: HealthState }).Health;
}

const healthIs = (id: string, status: HealthState['Status'], timeoutMs = 10_000) =>
  waitFor(
    async () => {
      const h = await health(id);
      return h?.Status === status && h;
    },
    timeoutMs,
    `health ${status}`,
  );

const psStatus = async (id: string) => (await t.rt.containers.list({ all: true, filters: { id: [id] } }))[0]!.status;

describe('health checks', () => {
  it('turns healthy after a passing CMD-SHELL check, shown in inspect, ps and events', async () => {
    const { id } = await run('hc-pass', { healthcheck: { test: ['CMD-SHELL', 'echo ok from $HOSTNAME'], interval: 500 * MS } });
    expect((await health(id))?.Status).toBe('starting');
    expect(await psStatus(id)).toMatch(/^Up .* \(health: starting\)$/);
    const h = await healthIs(id, 'healthy');
    expect(h.FailingStreak).toBe(0);
    expect(h.Log[0]).toMatchObject({ ExitCode: 0, Output: `ok from ${id.slice(0, 12)}\n` });
    expect(Date.parse(h.Log[0]!.End)).toBeGreaterThanOrEqual(Date.parse(h.Log[0]!.Start));
    expect(await psStatus(id)).toMatch(/^Up .* \(healthy\)$/);
    expect((await t.rt.containers.list({ filters: { id: [id] } }))[0]!.health).toBe('healthy');
    expect((await t.rt.containers.list({ filters: { health: ['healthy'] } })).map((c) => c.id)).toContain(id);
    expect((await t.rt.containers.list({ filters: { health: ['none', 'unhealthy'] } })).map((c) => c.id)).not.toContain(id);
    const config = (await t.rt.containers.inspect(id)).Config as { Healthcheck: unknown };
    expect(config.Healthcheck).toEqual({ Test: ['CMD-SHELL', 'echo ok from $HOSTNAME'], Interval: 500 * MS });
    await waitFor(async () => events.includes('hc-pass health_status: healthy'), 5000, 'the healthy event');
    await t.rt.containers.remove(id, { force: true });
  });

  it('turns unhealthy after `retries` failures in a row and keeps the last 5 results', async () => {
    const { id } = await run('hc-fail', { healthcheck: { test: ['CMD', 'sh', '-c', 'echo bad >&2; exit 3'], interval: 100 * MS, retries: 2 } });
    const h = await healthIs(id, 'unhealthy');
    expect(h.FailingStreak).toBeGreaterThanOrEqual(2);
    expect(h.Log.every((l) => l.ExitCode === 3 && l.Output === 'bad\n')).toBe(true);
    expect(await psStatus(id)).toMatch(/^Up .* \(unhealthy\)$/);
    await waitFor(async () => events.includes('hc-fail health_status: unhealthy'), 5000, 'the unhealthy event');
    const later = await waitFor(
      async () => {
        const x = await health(id);
        return x && x.FailingStreak >= 6 && x;
      },
      10_000,
      'six failures',
    );
    expect(later.Log).toHaveLength(5);
    await t.rt.containers.remove(id, { force: true });
  });

  it('does not count failures inside the start period, and truncates output at 4096 bytes', async () => {
    const { id } = await run('hc-grace', {
      healthcheck: {
        test: ['CMD-SHELL', 'head -c 5000 /dev/zero | tr "\\0" x; exit 1'],
        interval: 100 * MS,
        startPeriod: 3000 * MS,
        startInterval: 100 * MS,
        retries: 1,
      },
    });
    const early = await waitFor(
      async () => {
        const x = await health(id);
        return x && x.Log.length >= 2 && x;
      },
      10_000,
      'two probes',
    );
    expect(early).toMatchObject({ Status: 'starting', FailingStreak: 0 });
    expect(early.Log[0]!.Output).toBe('x'.repeat(4096) + '...');
    const h = await healthIs(id, 'unhealthy');
    expect(h.FailingStreak).toBeGreaterThanOrEqual(1);
    await t.rt.containers.remove(id, { force: true });
  });

  it('kills a check that runs past its timeout', async () => {
    const { id } = await run('hc-hang', { healthcheck: { test: ['CMD-SHELL', 'echo waiting; sleep 10'], interval: 200 * MS, timeout: 300 * MS, retries: 1 } });
    const h = await healthIs(id, 'unhealthy');
    const first = h.Log[0]!;
    expect(first.ExitCode).toBe(-1);
    expect(first.Output).toBe('Health check exceeded timeout (300ms): waiting\n');
    expect(Date.parse(first.End) - Date.parse(first.Start)).toBeLessThan(3000);
    await waitFor(async () => ((await health(id))?.Log.length ?? 0) >= 3, 10_000, 'three probes');
    // killed probes do not pile up: at most the one in flight is left
    const top = await t.rt.containers.top(id);
    expect(top.processes.filter((p) => p.join(' ').includes('sleep 10')).length).toBeLessThanOrEqual(1);
    await t.rt.containers.remove(id, { force: true });
  });

  it('uses the image HEALTHCHECK; run flags override it field by field; --no-healthcheck disables it', async () => {
    const { id: base } = await t.rt.containers.create({ image, network: 'none', cmd: ['true'] });
    const baseConfig = (await t.rt.images.inspect(image)).config;
    await t.rt.containers.commit(base, {
      ref: 'skiff-health-test/hc:v1',
      config: { ...baseConfig, Cmd: ['sleep', '120'], Healthcheck: { Test: ['CMD-SHELL', 'exit 0'], Interval: 150 * MS, Retries: 4 } },
    });
    const img = 'skiff-health-test/hc:v1';
    const { id: fromImage } = await t.rt.containers.run({ image: img, name: 'hc-image', network: 'none' });
    await healthIs(fromImage, 'healthy');
    expect(((await t.rt.containers.inspect(fromImage)).Config as { Healthcheck: unknown }).Healthcheck).toEqual({
      Test: ['CMD-SHELL', 'exit 0'],
      Interval: 150 * MS,
      Retries: 4,
    });

    const { id: overridden } = await t.rt.containers.run({
      image: img,
      name: 'hc-override',
      network: 'none',
      healthcheck: { test: ['CMD-SHELL', 'exit 1'], retries: 1 },
    });
    expect(((await t.rt.containers.inspect(overridden)).Config as { Healthcheck: unknown }).Healthcheck).toEqual({
      Test: ['CMD-SHELL', 'exit 1'],
      Interval: 150 * MS,
      Retries: 1,
    });
    await healthIs(overridden, 'unhealthy');
    // commit keeps the container's merged check, as docker commit does
    const { id: committed } = await t.rt.containers.commit(overridden, { ref: 'skiff-health-test/hc:committed' });
    expect((await t.rt.images.inspect(committed)).config.Healthcheck).toEqual({ Test: ['CMD-SHELL', 'exit 1'], Interval: 150 * MS, Retries: 1 });

    const { id: disabled } = await t.rt.containers.run({ image: img, name: 'hc-none', network: 'none', healthcheck: { test: ['NONE'] } });
    const inspect = await t.rt.containers.inspect(disabled);
    expect((inspect.Config as { Healthcheck: unknown }).Healthcheck).toEqual({ Test: ['NONE'], Interval: 150 * MS, Retries: 4 });
    await new Promise((r) => setTimeout(r, 400));
    expect(await health(disabled)).toBeUndefined();
    expect(await psStatus(disabled)).toMatch(/^Up [^(]*$/);

    for (const id of [base, fromImage, overridden, disabled]) await t.rt.containers.remove(id, { force: true });
    await t.rt.images.remove(img);
    await t.rt.images.remove('skiff-health-test/hc:committed');
  });

  it('refuses durations under 1ms and negative retries', async () => {
    await expect(t.rt.containers.create({ image, healthcheck: { test: ['CMD', 'true'], interval: 500 } })).rejects.toThrow(
      /Interval in Healthcheck cannot be less than 1ms/,
    );
    await expect(t.rt.containers.create({ image, healthcheck: { test: ['CMD', 'true'], retries: -1 } })).rejects.toThrow(
      /Retries in Healthcheck cannot be negative/,
    );
    await expect(t.rt.containers.create({ image, healthcheck: { test: ['CMD'] } })).rejects.toThrow(/healthcheck command is empty/);
  });

  it('resets to starting on restart and reads unhealthy once stopped, like Docker', async () => {
    // a 1s interval leaves room to see "starting" right after the restart
    const { id } = await run('hc-restart', { healthcheck: { test: ['CMD-SHELL', 'exit 0'], interval: 1000 * MS }, stopSignal: 'SIGKILL' });
    const before = await healthIs(id, 'healthy');
    await t.rt.containers.restart(id, { timeout: 0 });
    const after = (await health(id))!;
    expect(after.Status).toBe('starting');
    expect(after.FailingStreak).toBe(0);
    expect(after.Log.length).toBeGreaterThanOrEqual(before.Log.length); // the log carries over
    await healthIs(id, 'healthy');
    await t.rt.containers.stop(id, { timeout: 0 });
    expect((await health(id))?.Status).toBe('unhealthy');
    expect(await psStatus(id)).toMatch(/^Exited/);
    // no probe runs on a stopped container
    const logLength = (await health(id))!.Log.length;
    await new Promise((r) => setTimeout(r, 500));
    expect((await health(id))!.Log.length).toBe(logLength);
    await t.rt.containers.remove(id, { force: true });
  });

  it('survives an agent restart: state.json keeps the streak and the new runtime resumes the checks', async () => {
    const { id } = await run('hc-adopt', { healthcheck: { test: ['CMD-SHELL', 'exit 1'], interval: 150 * MS, retries: 1000 } });
    const before = await waitFor(
      async () => {
        const x = await health(id);
        return x && x.FailingStreak >= 2 && x;
      },
      10_000,
      'two failures',
    );
    const rt = await t.reopen();
    const adopted = ((await rt.containers.inspect(id)).State as { Health: HealthState }).Health;
    expect(adopted.Status).toBe('starting');
    expect(adopted.FailingStreak).toBeGreaterThanOrEqual(before.FailingStreak);
    await waitFor(async () => ((await health(id))?.FailingStreak ?? 0) >= adopted.FailingStreak + 2, 10_000, 'checks to resume');
    await rt.containers.remove(id, { force: true });
  });
});
