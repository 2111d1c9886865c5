import type { EndpointResource, NetworkInspect } from '@skiff/docker-types';
import type { NetworkRecord, RuntimeNetworks } from '@skiff/runtime';

/**
 * Docker's network inspect JSON (also each `GET /networks` entry): the one builder behind
 * the Docker API and the tRPC `networks.inspect`, so the two cannot drift apart again.
 * Field for field what dockerd (API 1.47) sends for a local bridge network: IPAM's
 * Gateway only when there is one, and no Aliases on the endpoints (those are in each
 * container's inspect, NetworkSettings.Networks[name].Aliases).
 */
export function networkJson(networks: Pick<RuntimeNetworks, 'endpointsOf'>, n: NetworkRecord): NetworkInspect {
  const containers: Record<string, EndpointResource> = {};
  for (const e of networks.endpointsOf(n.id)) {
    containers[e.containerId] = {
      Name: e.name,
      EndpointID: e.endpoint.hostVeth,
      MacAddress: e.endpoint.mac,
      IPv4Address: `${e.endpoint.ip}/${e.endpoint.prefix}`,
      IPv6Address: '',
    };
  }
  return {
    Name: n.name,
    Id: n.id,
    Created: n.created,
    Scope: 'local',
    Driver: n.driver,
    EnableIPv4: true,
    EnableIPv6: false,
    IPAM: {
      Driver: 'default',
      Options: null,
      Config: n.subnet ? [{ Subnet: n.subnet, ...(n.gateway ? { Gateway: n.gateway } : {}), ...(n.ipRange ? { IPRange: n.ipRange } : {}) }] : [],
    },
    Internal: n.internal,
    Attachable: false,
    Ingress: false,
    ConfigFrom: { Network: '' },
    ConfigOnly: false,
    Containers: containers,
    Options: n.bridge ? { 'com.docker.network.bridge.name': n.bridge } : {},
    Labels: n.labels,
  };
}
