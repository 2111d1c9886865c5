// `compose ps --format`: compose v2's fields over docker's container row.
import type { ContainerSummary } from '@skiff/runtime';
import { dockerContainerSummary } from '../docker-json/container-summary.js';
import type { ListingKind } from './listing.js';
import { CONTAINER_KIND, containerRow } from './listing-rows.js';
import { GoStruct } from './template/index.js';

export const COMPOSE_KIND: ListingKind = {
  defaultTable: 'table {{.Name}}\\t{{.Image}}\\t{{.Command}}\\t{{.Service}}\\t{{.RunningFor}}\\t{{.Status}}\\t{{.Ports}}',
  headers: {
    ...CONTAINER_KIND.headers,
    Name: 'NAME',
    Service: 'SERVICE',
    Project: 'PROJECT',
    Health: 'HEALTH',
    ExitCode: 'EXIT CODE',
    Publishers: 'PUBLISHERS',
  },
};

/** compose's summary of one container: docker's row plus Name, Service, Project, Health, ExitCode */
export function composeRow(c: ContainerSummary, trunc: boolean): GoStruct {
  const base = containerRow(dockerContainerSummary(c), trunc).fields;
  const exit = /^Exited \((\d+)\)/.exec(c.status)?.[1];
  return new GoStruct('api.ContainerSummary', {
    ...base,
    Name: c.names[0]?.replace(/^\//, '') ?? '',
    Project: c.labels['com.docker.compose.project'] ?? '',
    Service: c.labels['com.docker.compose.service'] ?? '',
    Health: c.health ?? '',
    ExitCode: exit === undefined ? 0 : Number(exit),
    Publishers: c.ports.map((p) => ({ URL: p.ip ?? '', TargetPort: p.privatePort, PublishedPort: p.publicPort ?? 0, Protocol: p.type })),
  });
}
