/**
 * Chromium's own console line for a request it aborted because the host's network links
 * changed: this browser shares the host's network namespace, where every container start
 * or removal adds or deletes a veth. Not the dashboard's error: it sends such calls again
 * (apps/web/lib/network-retry.ts).
 */
export function isHostNetworkChange(consoleText: string): boolean {
  return consoleText.includes('net::ERR_NETWORK_CHANGED');
}
