import type { ContainerSummary, ListContainersOptions } from '../../types.js';
import type { ContainerContext } from '../context.js';
import type { StoredContainer } from '../store/container-store.js';

const labelMatch = (labels: Record<string, string>, expr: string) => {
  const eq = expr.indexOf('=');
  return eq < 0 ? expr in labels : labels[expr.slice(0, eq)] === expr.slice(eq + 1);
};

/** `ps`: summaries newest first, through the summary cache */
export function list(ctx: ContainerContext, opts: ListContainersOptions = {}): ContainerSummary[] {
  const f = opts.filters ?? {};
  const all = opts.all || !!f.status?.length;
  const keep = (c: StoredContainer): boolean => {
    const status = c.state.status;
    if (!all && status !== 'running' && status !== 'paused' && status !== 'restarting') return false;
    if (f.status?.length && !f.status.includes(status)) return false;
    if (f.name?.length && !f.name.some((n) => c.record.name.includes(n.replace(/^\//, '')))) return false;
    if (f.id?.length && !f.id.some((i) => c.record.id.startsWith(i))) return false;
    if (f.label?.length && !f.label.every((l) => labelMatch(c.record.labels, l))) return false;
    if (f.health?.length && !f.health.includes(c.state.health?.Status ?? 'none')) return false;
    return true;
  };
  return ctx.summaries.list(JSON.stringify(opts), ctx.store.newestFirst(), keep, ctx.networkingOf);
}

/** container counts by state (`info`) */
export function counts(ctx: ContainerContext): { total: number; running: number; paused: number; stopped: number } {
  const all = ctx.store.newestFirst();
  const running = all.filter((c) => c.state.status === 'running').length;
  const paused = all.filter((c) => c.state.status === 'paused').length;
  return { total: all.length, running, paused, stopped: all.length - running - paused };
}
