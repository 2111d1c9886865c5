/**
 * Lifecycle problems the runtime works around but an operator should see (a state file
 * that could not be written on a full disk, a cgroup that would not go). The runtime has
 * no logger of its own; the agent's stderr is its journal.
 */
export function lifecycleWarn(what: string, containerId: string, err: unknown): void {
  const reason = err instanceof Error ? err.message : String(err);
  console.warn(`skiff runtime: container ${containerId.slice(0, 12)}: ${what}: ${reason}`);
}
