import type { ContainerContext } from '../context.js';
import { startExec } from '../stdio/start-exec.js';
import type { StoredContainer } from '../store/container-store.js';
import { healthSchedule } from './health-config.js';
import { HealthMonitor } from './health-monitor.js';

/** Starts the container's health checks, if it has any and none run yet. */
export function startHealth(ctx: ContainerContext, c: StoredContainer): void {
  const schedule = healthSchedule(c.record.healthcheck, c.record.healthShell);
  if (!schedule || ctx.closed || ctx.healthMonitors.has(c.record.id)) return;
  const m = new HealthMonitor({
    container: c,
    schedule,
    exec: (argv) => startExec(ctx, c, { cmd: argv }),
    save: () => ctx.store.saveState(c),
    onStatus: (status) => ctx.emit(c, `health_status: ${status}`),
  });
  ctx.healthMonitors.set(c.record.id, m);
  m.start();
}

export function stopHealth(ctx: ContainerContext, c: StoredContainer): void {
  ctx.healthMonitors.get(c.record.id)?.stop();
  ctx.healthMonitors.delete(c.record.id);
}
