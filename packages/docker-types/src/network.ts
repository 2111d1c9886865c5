/**
 * Networks (moby api/types/network): `GET /networks`, `GET /networks/{id}` and the
 * per-network entries of a container's inspect. Docker's field names and omissions.
 */

/** one IPAM pool; Docker leaves out what is not set */
export interface IPAMConfig {
  Subnet?: string;
  IPRange?: string;
  Gateway?: string;
  AuxiliaryAddresses?: Record<string, string>;
}

export interface IPAM {
  Driver: string;
  Options: Record<string, string> | null;
  Config: IPAMConfig[];
}

/** a container attached to a network, as network inspect lists it (network.EndpointResource) */
export interface EndpointResource {
  Name: string;
  EndpointID: string;
  MacAddress: string;
  /** "10.0.0.2/24" */
  IPv4Address: string;
  IPv6Address: string;
}

/** `GET /networks/{id}` and each `GET /networks` entry (network.Inspect / network.Summary) */
export interface NetworkInspect {
  Name: string;
  Id: string;
  /** RFC3339Nano */
  Created: string;
  Scope: 'local' | 'swarm' | 'global';
  Driver: string;
  EnableIPv4: boolean;
  EnableIPv6: boolean;
  IPAM: IPAM;
  Internal: boolean;
  Attachable: boolean;
  Ingress: boolean;
  ConfigFrom: { Network: string };
  ConfigOnly: boolean;
  /** container id → its endpoint */
  Containers: Record<string, EndpointResource>;
  Options: Record<string, string>;
  Labels: Record<string, string>;
}

/** the list's entries are the inspect shape */
export type NetworkSummary = NetworkInspect;

/** inspect `NetworkSettings.Networks[name].IPAMConfig`: the addresses asked for */
export interface EndpointIPAMConfig {
  IPv4Address?: string;
  IPv6Address?: string;
}

/** a container's endpoint on one network (network.EndpointSettings), in its inspect */
export interface EndpointSettings {
  IPAMConfig: EndpointIPAMConfig | null;
  /** the network-scoped aliases asked for (`--network-alias`) */
  Aliases: string[] | null;
  NetworkID: string;
  EndpointID: string;
  Gateway: string;
  IPAddress: string;
  IPPrefixLen: number;
  MacAddress: string;
}

/** `POST /networks/create` answer */
export interface NetworkCreateResponse {
  Id: string;
  Warning: string;
}

/** an endpoint asked for: a create's NetworkingConfig.EndpointsConfig value, a connect's EndpointConfig (network.EndpointSettings) */
export interface EndpointSettingsRequest {
  /** network-scoped aliases (`--network-alias`) */
  Aliases?: string[] | null;
  IPAMConfig?: { IPv4Address?: string } | null;
  Links?: string[] | null;
  MacAddress?: string;
}

/** `POST /networks/{id}/connect` body (network.ConnectOptions) */
export interface NetworkConnectRequest {
  Container?: string;
  EndpointConfig?: EndpointSettingsRequest | null;
}

/** `POST /networks/{id}/disconnect` body (network.DisconnectOptions) */
export interface NetworkDisconnectRequest {
  Container?: string;
  Force?: boolean;
}
