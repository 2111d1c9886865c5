import type { FetchedSource, FetchSourceOptions } from '@skiff/git';
import type { RouteTable } from '@skiff/proxy';

/*
 * The parts of the apps feature that other packages provide (@skiff/proxy, @skiff/certs,
 * @skiff/git). The AppService takes them in its constructor, so the agent wires the real
 * ones and tests their own; these shapes are the contract between those teams.
 */

export type { ProxyRoute, RouteTable, Upstream } from '@skiff/proxy';
export type { FetchedSource, FetchSourceOptions, GitAuth } from '@skiff/git';

/** what the app service asks of the certificate store (@skiff/certs' CertificateManager) */
export interface CertificateEnsurer {
  ensure(domains: string[]): Promise<void>;
}

/** the git client (@skiff/git's fetchSource): one branch or commit, checked out */
export interface SourceFetcher {
  fetchSource(opts: FetchSourceOptions): Promise<FetchedSource>;
}

export interface AppPorts {
  routes: RouteTable;
  certs: CertificateEnsurer;
  git: SourceFetcher;
}
