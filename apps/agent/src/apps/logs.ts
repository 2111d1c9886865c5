import type { AppContext } from './context.js';
import { DEPLOYMENT_LABEL } from './context.js';
import { loadApp } from './create.js';
import { appContainers } from './replicas.js';

export interface AppLogLine {
  container: string;
  stream: 'stdout' | 'stderr';
  time: string;
  line: string;
}

/** the last `tail` lines of each container of the live deployment, merged by time */
export async function appLogs(ctx: AppContext, name: string, opts: { tail: number; since?: number }): Promise<AppLogLine[]> {
  const app = await loadApp(ctx, name);
  const containers = (await appContainers(ctx, name)).filter((c) => c.labels[DEPLOYMENT_LABEL] === app.currentDeploymentId);
  const lines: AppLogLine[] = [];
  for (const c of containers) {
    const container = c.names[0]?.replace(/^\//, '') ?? c.id.slice(0, 12);
    for await (const e of ctx.runtime.containers.logs(c.id, { tail: opts.tail, since: opts.since, stdout: true, stderr: true }))
      lines.push({ container, stream: e.stream, time: e.time, line: e.line });
  }
  return lines.sort((a, b) => (a.time < b.time ? -1 : a.time > b.time ? 1 : 0));
}
