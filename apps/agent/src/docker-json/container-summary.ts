import type { ContainerSummary as DockerContainerSummary } from '@skiff/docker-types';
import type { ContainerSummary } from '@skiff/runtime';

/**
 * Docker's `GET /containers/json` entry for one of the runtime's summaries (what tRPC's
 * `containers.list` returns): the one mapping behind `docker ps` and `system df`.
 * Mounts stay empty as before: the list's summaries do not carry them.
 */
export function dockerContainerSummary(c: ContainerSummary): DockerContainerSummary {
  return {
    Id: c.id,
    Names: c.names,
    Image: c.image,
    ImageID: c.imageId,
    Command: c.command,
    Created: c.created,
    Ports: c.ports.map((p) => ({ ...(p.publicPort ? { IP: p.ip ?? '0.0.0.0', PublicPort: p.publicPort } : {}), PrivatePort: p.privatePort, Type: p.type })),
    Labels: c.labels,
    State: c.state,
    Status: c.status,
    HostConfig: { NetworkMode: c.networks[0] ?? 'default' },
    NetworkSettings: { Networks: Object.fromEntries(c.networks.map((n) => [n, {}])) },
    Mounts: [],
  };
}
