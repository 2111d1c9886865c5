/**
 * What a bench started (agents, registries, peers), undone in reverse order once: at the end,
 * or on Ctrl-C. A failing step is reported and the rest still run.
 */
export const cleanups: (() => Promise<void> | void)[] = [];
let cleaning: Promise<void> | undefined;

export function cleanup(): Promise<void> {
  cleaning ??= (async () => {
    for (const fn of cleanups.reverse()) {
      try {
        await fn();
      } catch (e) {
        console.error(`cleanup: ${(e as Error).message}`);
      }
    }
  })();
  return cleaning;
}
