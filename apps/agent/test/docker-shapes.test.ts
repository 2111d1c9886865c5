import { createTRPCClient, createWSClient, wsLink } from '@trpc/client';
import type { ContainerInspect, ContainerSummary, DiskUsage, NetworkInspect } from '@skiff/docker-types';
import WebSocket from 'ws';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { freeTestSubnet } from '@skiff/test-fixtures';
import type { AppRouter } from '../src/index.js';
import { dockerClient } from './docker-cli.js';
import { useAgent } from './use-agent.js';

/**
 * The Docker-shaped JSON the agent sends is built once (apps/agent/src/docker-json): the
 * Docker API and tRPC answer the same network with the same object, and a container's
 * `docker ps` entry is the mapping of tRPC's list entry. The keys are pinned to what
 * dockerd (API 1.47) sends, so neither transport can grow or lose a field on its own.
 */
const fx = useAgent({ pull: true });
const { api } = dockerClient(() => fx.agent);
let close: (() => void) | undefined;
let client: ReturnType<typeof createTRPCClient<AppRouter>>;

beforeAll(() => {
  const ws = createWSClient({ url: `ws+unix://${fx.agent.socket}:/trpc`, WebSocket: WebSocket as unknown as typeof globalThis.WebSocket });
  close = () => ws.close();
  client = createTRPCClient<AppRouter>({ links: [wsLink({ client: ws })] });
});
afterAll(() => close?.());

async function getJson<T>(path: string): Promise<T> {
  const r = await api('GET', path);
  expect(r.status, r.body).toBe(200);
  return JSON.parse(r.body) as T;
}

const keys = (o: object) => Object.keys(o).sort();

describe('Docker wire shapes across the Docker API and tRPC', () => {
  let networkId = '';
  let containerId = '';
  let net: ReturnType<typeof freeTestSubnet>;

  beforeAll(async () => {
    net = freeTestSubnet();
    const n = await client.networks.create.mutate({ name: 'shapes-net', subnet: net.subnet, gateway: net.gateway, labels: { suite: 'shapes' } });
    networkId = n.id;
    const r = await client.containers.run.mutate({
      spec: {
        image: fx.image,
        name: 'shapes-ctr',
        cmd: ['sleep', '300'],
        network: 'shapes-net',
        networkAliases: ['db'],
        ports: [{ containerPort: 80, protocol: 'tcp' }],
        labels: { suite: 'shapes' },
      },
    });
    containerId = r.id;
  }, 60_000);

  it('network inspect: one object on both transports, with Docker keys only', async () => {
    const overDocker = await getJson<NetworkInspect>(`/networks/${networkId}`);
    const overTrpc = await client.networks.inspect.query({ id: networkId });
    expect(overTrpc).toEqual(overDocker);
    // every `GET /networks` entry is the same shape (whether the list fills Containers is not pinned: dockerd's does not)
    const listed = (await getJson<NetworkInspect[]>('/networks')).find((n) => n.Id === networkId);
    expect({ ...listed, Containers: {} }).toEqual({ ...overDocker, Containers: {} });

    expect(keys(overDocker)).toEqual([
      'Attachable',
      'ConfigFrom',
      'ConfigOnly',
      'Containers',
      'Created',
      'Driver',
      'EnableIPv4',
      'EnableIPv6',
      'IPAM',
      'Id',
      'Ingress',
      'Internal',
      'Labels',
      'Name',
      'Options',
      'Scope',
    ]);
    expect(overDocker.IPAM).toEqual({ Driver: 'default', Options: null, Config: [{ Subnet: net.subnet, Gateway: net.gateway }] });
    expect(overDocker).toMatchObject({
      Name: 'shapes-net',
      Driver: 'bridge',
      Scope: 'local',
      EnableIPv4: true,
      EnableIPv6: false,
      Internal: false,
      Labels: { suite: 'shapes' },
    });
    const endpoint = overDocker.Containers[containerId]!;
    // network.EndpointResource: no Aliases (they are in the container's inspect)
    expect(keys(endpoint)).toEqual(['EndpointID', 'IPv4Address', 'IPv6Address', 'MacAddress', 'Name']);
    expect(endpoint.Name).toBe('shapes-ctr');
    expect(endpoint.IPv4Address).toMatch(new RegExp(`^${net.prefix.replace(/\./g, '\\.')}\\.\\d+/24$`));
  });

  it("container inspect: the network's aliases and Docker's EndpointSettings keys", async () => {
    const overDocker = await getJson<ContainerInspect>(`/containers/${containerId}/json`);
    const overTrpc = await client.containers.inspect.query({ id: containerId });
    expect(overTrpc.Id).toBe(overDocker.Id);
    const ep = overDocker.NetworkSettings.Networks['shapes-net']!;
    expect(keys(ep)).toEqual(['Aliases', 'EndpointID', 'Gateway', 'IPAMConfig', 'IPAddress', 'IPPrefixLen', 'MacAddress', 'NetworkID']);
    expect(ep.Aliases).toEqual(['db']);
    expect(overTrpc.NetworkSettings.Networks['shapes-net']).toEqual(ep);
  });

  it("container summary: `docker ps`'s entry is the tRPC list entry in Docker's names", async () => {
    // the status text ticks with time ("Up 1 second"): a pair read across a tick is read again
    let docker: ContainerSummary | undefined;
    let trpc: Awaited<ReturnType<typeof client.containers.list.query>>[number] | undefined;
    for (let i = 0; i < 5; i++) {
      docker = (await getJson<ContainerSummary[]>('/containers/json?all=1')).find((c) => c.Id === containerId);
      trpc = (await client.containers.list.query({ all: true })).find((c) => c.id === containerId);
      if (docker?.Status === trpc?.status) break;
    }
    expect(docker && trpc).toBeTruthy();
    expect(keys(docker!)).toEqual([
      'Command',
      'Created',
      'HostConfig',
      'Id',
      'Image',
      'ImageID',
      'Labels',
      'Mounts',
      'Names',
      'NetworkSettings',
      'Ports',
      'State',
      'Status',
    ]);
    const t = trpc!;
    expect(docker).toEqual({
      Id: t.id,
      Names: t.names,
      Image: t.image,
      ImageID: t.imageId,
      Command: t.command,
      Created: t.created,
      Ports: t.ports.map((p) => ({ ...(p.publicPort ? { IP: p.ip ?? '0.0.0.0', PublicPort: p.publicPort } : {}), PrivatePort: p.privatePort, Type: p.type })),
      Labels: t.labels,
      State: t.state,
      Status: t.status,
      HostConfig: { NetworkMode: 'shapes-net' },
      NetworkSettings: { Networks: { 'shapes-net': {} } },
      Mounts: [],
    });
    expect(docker!.Ports).toEqual([expect.objectContaining({ PrivatePort: 80, Type: 'tcp', PublicPort: expect.any(Number), IP: expect.any(String) })]);
    expect(docker).toMatchObject({ Names: ['/shapes-ctr'], State: 'running', Labels: { suite: 'shapes' } });

    // `system df` lists the same entries, with the sizes added
    const df = await getJson<DiskUsage>('/system/df');
    const inDf = df.Containers.find((c) => c.Id === containerId)!;
    expect(keys(inDf)).toEqual([...keys(docker!), 'SizeRootFs', 'SizeRw'].sort());
    const { SizeRw, SizeRootFs, Status: _status, ...rest } = inDf;
    const { Status: _s, ...same } = docker!;
    expect(rest).toEqual(same);
    expect(SizeRw).toBeGreaterThanOrEqual(0);
    expect(SizeRootFs).toBeGreaterThanOrEqual(SizeRw!);
  });
});
