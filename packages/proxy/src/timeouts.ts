/** the proxy's clocks, all in milliseconds */
export interface ProxyTimeouts {
  /** a client's whole request head (slowloris: a client sending headers a byte at a time) */
  headersMs: number;
  /** a client's whole request, body included */
  requestMs: number;
  /** an idle client connection between requests */
  keepAliveMs: number;
  /** how often the header/request clocks are checked */
  checkIntervalMs: number;
  /** a TLS handshake */
  handshakeMs: number;
  /** the TCP connect to an upstream; past it the next upstream is tried */
  connectMs: number;
  /** an upstream silent this long while a request waits on it: 504 */
  upstreamMs: number;
  /** a pooled upstream connection idle this long is closed */
  upstreamIdleMs: number;
}

export const DEFAULT_TIMEOUTS: ProxyTimeouts = {
  headersMs: 15_000,
  requestMs: 300_000,
  keepAliveMs: 60_000,
  checkIntervalMs: 1_000,
  handshakeMs: 10_000,
  connectMs: 3_000,
  upstreamMs: 60_000,
  upstreamIdleMs: 4_000,
};
