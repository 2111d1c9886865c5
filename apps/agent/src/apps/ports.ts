import type { Logger } from '@skiff/logger';

/*
 * The parts of the apps feature that other packages provide (@skiff/proxy, @skiff/certs,
 * @skiff/git). The AppService takes them in its constructor, so the agent wires the real
 * ones and tests their own; these shapes are the contract between those teams.
 */

export interface Upstream {
  host: string;
  port: number;
}
export interface ProxyRoute {
  domain: string;
  upstreams: Upstream[];
  https: boolean;
}
/** the reverse proxy's routes, set per owner (owner = app name) */
export interface RouteTable {
  setRoutes(owner: string, routes: ProxyRoute[]): void;
  deleteRoutes(owner: string): void;
}
export interface CertificateEnsurer {
  ensure(domains: string[]): Promise<void>;
}
export type GitAuth = { kind: 'none' } | { kind: 'token'; token: string; username?: string } | { kind: 'ssh'; privateKey: string; knownHosts?: string };
export interface FetchedSource {
  commit: string;
  message: string;
  dir: string;
  contextDir: string;
}
export interface SourceFetcher {
  fetchSource(opts: {
    url: string;
    branch: string;
    path?: string;
    auth: GitAuth;
    dest: string;
    commit?: string;
    signal?: AbortSignal;
    logger: Logger;
  }): Promise<FetchedSource>;
}

export interface AppPorts {
  routes: RouteTable;
  certs: CertificateEnsurer;
  git: SourceFetcher;
}
