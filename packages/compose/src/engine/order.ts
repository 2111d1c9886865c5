import { InvalidArgument } from '@skiff/runtime';
import type { ServiceConfig } from '../model.js';

/** Services in an order where each comes after what it depends on (names sorted within a level, for stable output). */
export function startOrder(services: Record<string, ServiceConfig>): string[] {
  const out: string[] = [];
  const state = new Map<string, 'visiting' | 'done'>();
  const visit = (name: string, path: string[]) => {
    if (state.get(name) === 'done') return;
    if (state.get(name) === 'visiting') throw new InvalidArgument(`dependency cycle between services: ${[...path, name].join(' -> ')}`);
    state.set(name, 'visiting');
    for (const dep of Object.keys(services[name]?.dependsOn ?? {}).sort()) if (services[dep]) visit(dep, [...path, name]);
    state.set(name, 'done');
    out.push(name);
  };
  for (const name of Object.keys(services).sort()) visit(name, []);
  return out;
}
