/**
 * Docker Engine API wire shapes (v1.4x), by resource as moby's api/types: the one place
 * the runtime, the agent's Docker API and tRPC routers, the CLI and the dashboard take
 * Docker-shaped JSON from. Types only: nothing here exists at run time.
 */
export type * from './health.js';
export type * from './container.js';
export type * from './container-create.js';
export type * from './network.js';
export type * from './image.js';
export type * from './volume.js';
export type * from './events.js';
export type * from './system.js';
