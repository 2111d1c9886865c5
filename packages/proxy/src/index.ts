export type { CertificateSource, ChallengeSource, ProxyRoute, RouteTable, Upstream } from './types.js';
export { DomainConflictError, hostKey, Routes } from './routes.js';
export { ProxyListenError, ReverseProxy, type Listen, type ReverseProxyOptions } from './proxy.js';
export { DEFAULT_TIMEOUTS, type ProxyTimeouts } from './timeouts.js';
