import type { SecureContext } from 'node:tls';

/** a container IP on a Skiff bridge and the port the app listens on */
export interface Upstream {
  host: string;
  port: number;
}

/** one domain of an app; `https`: serve it over TLS and redirect plain HTTP there */
export interface ProxyRoute {
  domain: string;
  upstreams: Upstream[];
  https: boolean;
}

/** what the app service drives: each owner (an app's name) has its routes, replaced whole */
export interface RouteTable {
  setRoutes(owner: string, routes: ProxyRoute[]): void;
  deleteRoutes(owner: string): void;
}

/** the certificate store (@skiff/certs): a context for a server name, or none (the handshake then fails) */
export interface CertificateSource {
  secureContext(servername: string): SecureContext | undefined;
}

/** ACME HTTP-01: the key authorization of a pending challenge's token */
export interface ChallengeSource {
  keyAuthorization(token: string): string | undefined;
}
