import type { PullProgress } from '@skiff/runtime/types';
import { bytes } from '../../lib/format';
import type { Client } from '../../lib/trpc';

/** Pulls `ref`, reporting "n/m layers, x / y" as it goes (the same subscription the Images page uses). */
export function pullWithProgress(client: Client, ref: string, report: (s: string) => void): Promise<void> {
  const layers = new Map<string, PullProgress>();
  return new Promise<void>((resolve, reject) => {
    const sub = client.images.pull.subscribe(
      { ref },
      {
        onData: (d) => {
          if ('image' in d) {
            sub.unsubscribe();
            resolve();
            return;
          }
          if (d.progress.id !== 'manifest' && d.progress.id !== 'config') layers.set(d.progress.id, d.progress);
          const all = [...layers.values()];
          const done = all.filter((l) => l.status === 'done' || l.status === 'exists').length;
          const cur = all.reduce((n, l) => n + (l.current ?? 0), 0);
          const total = all.reduce((n, l) => n + (l.total ?? 0), 0);
          report(`pulling ${ref}: ${done}/${all.length} layers${total ? `, ${bytes(cur)} / ${bytes(total)}` : ''}`);
        },
        onError: reject,
      },
    );
  });
}
