/**
 * The runtime's public shapes. The agent's tRPC routers, the CLI and the dashboard all
 * speak these; Docker-shaped JSON (inspect, health, image config) comes from
 * @skiff/docker-types and is re-exported here under the names the runtime has used.
 */
import type { Health, HealthcheckResult } from '@skiff/docker-types';

export type { ContainerInspect, HealthConfig, ImageConfig } from '@skiff/docker-types';
/** inspect `State.Health`, persisted as is in the container's state.json */
export type HealthState = Health;
export type HealthLogEntry = HealthcheckResult;

export * from './types/image.js';
export * from './types/container-spec.js';
export * from './types/container.js';
export * from './types/logs.js';
export * from './types/system.js';
