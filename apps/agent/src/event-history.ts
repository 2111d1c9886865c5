import type { Runtime, RuntimeEvent } from '@skiff/runtime';

/**
 * The last events the runtime emitted, so a page that opens (the dashboard home) can show
 * what just happened before its live subscription starts. Memory only: the audit log in
 * the database is the durable record of who did what.
 */
export class EventHistory {
  private readonly events: RuntimeEvent[] = [];
  readonly stop: () => void;

  constructor(
    runtime: Pick<Runtime, 'onEvent'>,
    private readonly capacity = 200,
  ) {
    const off = runtime.onEvent((e) => {
      this.events.push(e);
      if (this.events.length > this.capacity) this.events.shift();
    });
    this.stop = () => void off();
  }

  /** newest first */
  recent(limit: number): RuntimeEvent[] {
    return this.events.slice(-limit).reverse();
  }
}
