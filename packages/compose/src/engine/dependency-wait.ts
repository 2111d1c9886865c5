import { setTimeout as sleep } from 'node:timers/promises';
import { Conflict, type ContainerSummary, type Runtime } from '@skiff/runtime';
import type { DependsOnCondition } from '../model.js';
import type { ComposeEvent } from './events.js';

/** How long `up` waits for a dependency to become healthy or to complete before giving up */
const WAIT_LIMIT_MS = 10 * 60_000;
const POLL_MS = 250;

interface DependencyState {
  running: boolean;
  exitCode?: number;
  health?: string;
}

async function stateOf(rt: Runtime, id: string): Promise<DependencyState> {
  const st = (await rt.containers.inspect(id)).State;
  return { running: !!st.Running, exitCode: st.Status === 'exited' ? st.ExitCode : undefined, health: st.Health?.Status };
}

/**
 * Blocks until every container of `service` meets `condition` (depends_on): healthy by its
 * healthcheck, or exited 0. A dependency that can never get there (no healthcheck,
 * unhealthy, exited with an error) fails the `up` at once with Compose's wording.
 */
export async function waitForDependency(
  rt: Runtime,
  containers: ContainerSummary[],
  service: string,
  condition: Exclude<DependsOnCondition, 'service_started'>,
  opts: { signal?: AbortSignal; onEvent?: (e: ComposeEvent) => void },
): Promise<void> {
  const deadline = Date.now() + WAIT_LIMIT_MS;
  for (const c of containers) {
    const name = c.names[0]!.slice(1);
    opts.onEvent?.({ kind: 'Container', name, status: 'Waiting' });
    for (;;) {
      opts.signal?.throwIfAborted();
      const s = await stateOf(rt, c.id);
      if (condition === 'service_healthy') {
        if (s.health === undefined) throw new Conflict(`dependency failed to start: container ${name} has no healthcheck configured`);
        if (s.health === 'healthy') break;
        if (s.health === 'unhealthy') throw new Conflict(`dependency failed to start: container ${name} is unhealthy`);
        if (!s.running) throw new Conflict(`dependency failed to start: container ${name} exited (${s.exitCode ?? '?'})`);
      } else if (s.exitCode !== undefined) {
        if (s.exitCode === 0) break;
        throw new Conflict(`service "${service}" didn't complete successfully: exit ${s.exitCode}`);
      }
      if (Date.now() > deadline) throw new Conflict(`timed out waiting for service "${service}" (${condition})`);
      await sleep(POLL_MS, undefined, { signal: opts.signal });
    }
    opts.onEvent?.({ kind: 'Container', name, status: condition === 'service_healthy' ? 'Healthy' : 'Exited' });
  }
}
