import type { RuntimeEvent } from '@skiff/runtime';
import { labelMatches } from './docker-api/query.js';

/**
 * dockerd's event filter: values of one key are alternatives, keys must all match; ids
 * match by prefix (3 characters at least), names exactly; `event=exec_start` matches
 * `exec_start: sh -c …`. Used by the Docker API and `skiff events`.
 */
export function eventFilter(f: Record<string, string[] | undefined>): (e: RuntimeEvent) => boolean {
  const any = (k: string, test: (v: string) => boolean) => !f[k]?.length || f[k]!.some(test);
  const named = (e: RuntimeEvent, v: string) =>
    e.id === v || (v.length >= 3 && e.id.startsWith(v)) || e.attributes.name === v || e.attributes.name === v.replace(/^\//, '');
  return (e) =>
    any('type', (v) => v === e.type) &&
    any('event', (v) => v === e.action || e.action.startsWith(`${v}:`)) &&
    (!f.label?.length || f.label.every((l) => labelMatches(e.attributes, l))) &&
    (!f.container?.length || (e.type === 'container' && f.container.some((v) => named(e, v)))) &&
    (!f.image?.length || f.image.some((v) => (e.type === 'image' ? named(e, v) : e.attributes.image === v))) &&
    (!f.volume?.length || (e.type === 'volume' && f.volume.some((v) => named(e, v)))) &&
    (!f.network?.length || (e.type === 'network' && f.network.some((v) => named(e, v))));
}
