import type { ComposeProject } from '@skiff/compose';
import type { HostRequest } from './host-access.js';

/**
 * A compose project's host-level options, service by service, so a deploy is refused before
 * it creates anything (the runtime guard would refuse the same service later, after its
 * networks and earlier services were made).
 */
export function projectHostRequests(project: ComposeProject): HostRequest[] {
  return Object.values(project.services).map((s) => ({
    binds: s.volumes.filter((v) => v.type === 'bind').map((v) => ({ source: v.source ?? '', readOnly: v.readOnly })),
    capAdd: s.capAdd,
    network: s.networkMode,
    ulimits: s.ulimits,
  }));
}
