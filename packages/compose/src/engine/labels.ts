import { createHash } from 'node:crypto';
import type { ServiceConfig } from '../model.js';

/**
 * Docker Compose's own labels: a project's state is nothing but these labels on its
 * containers, networks and volumes, so `docker compose` habits (and tools that read the
 * labels, like Portainer's stack view) work, and there is no second copy to go stale.
 */
export const LABEL = {
  project: 'com.docker.compose.project',
  service: 'com.docker.compose.service',
  number: 'com.docker.compose.container-number',
  configHash: 'com.docker.compose.config-hash',
  oneoff: 'com.docker.compose.oneoff',
  workingDir: 'com.docker.compose.project.working_dir',
  configFiles: 'com.docker.compose.project.config_files',
  network: 'com.docker.compose.network',
  volume: 'com.docker.compose.volume',
  version: 'com.docker.compose.version',
} as const;

export const COMPOSE_VERSION = '2.29.0-skiff';

/**
 * What decides whether a running container still matches its service: the service's
 * normalised config and the image id it would run now. Scale and profiles are not part of
 * it (changing them adds or removes replicas, it does not recreate the others).
 */
export function configHash(service: ServiceConfig, imageId: string, networkNames: Record<string, string>, volumeNames: Record<string, string>): string {
  const { replicas: _r, profiles: _p, dependsOn, ...rest } = service;
  const deps = Object.fromEntries(Object.entries(dependsOn).map(([k, v]) => [k, v.condition]));
  return createHash('sha256')
    .update(stableJson({ ...rest, dependsOn: deps, imageId, networkNames, volumeNames }))
    .digest('hex');
}

function stableJson(v: unknown): string {
  if (Array.isArray(v)) return `[${v.map(stableJson).join(',')}]`;
  if (v && typeof v === 'object') {
    return `{${Object.keys(v)
      .sort()
      .filter((k) => (v as Record<string, unknown>)[k] !== undefined)
      .map((k) => `${JSON.stringify(k)}:${stableJson((v as Record<string, unknown>)[k])}`)
      .join(',')}}`;
  }
  return JSON.stringify(v);
}
