import { logger } from '@skiff/logger';
import type { RuntimeEvent } from './types.js';

const log = logger.child({ component: 'events' });

/** how many past events a subscriber can ask to be replayed (dockerd keeps 1024) */
const KEPT = 1000;

/**
 * The runtime's event listeners and its last events. A subscriber that asks for the replay
 * gets the kept events through the same listener, before any new one and without a gap:
 * whatever wraps a listener (the agent's guard for callers below admin) sees both alike.
 */
export class EventBus {
  private readonly listeners = new Set<(e: RuntimeEvent) => void>();
  private readonly kept: RuntimeEvent[] = [];

  emit(e: Omit<RuntimeEvent, 'time'>): void {
    const event = { ...e, time: Date.now() * 1_000_000 };
    this.kept.push(event);
    if (this.kept.length > KEPT) this.kept.splice(0, this.kept.length - KEPT);
    for (const l of this.listeners) {
      try {
        l(event);
      } catch (err) {
        // a listener's failure is its own: the event still reaches the others
        log.warn('an event listener threw', { event: `${e.type} ${e.action}`, id: e.id, err });
      }
    }
  }

  on(listener: (e: RuntimeEvent) => void, opts: { replay?: boolean } = {}): () => void {
    if (opts.replay) {
      for (const e of this.kept.slice()) {
        try {
          listener(e);
        } catch (err) {
          // a listener's failure is its own: the replay goes on
          log.warn('an event listener threw on replay', { event: `${e.type} ${e.action}`, id: e.id, err });
        }
      }
    }
    this.listeners.add(listener);
    return () => void this.listeners.delete(listener);
  }

  clear(): void {
    this.listeners.clear();
  }
}
