export * from './model.js';
export { ComposeEngine, type UpOptions, type DownOptions, type ProjectSummary } from './engine/engine.js';
export type { ComposeEvent } from './engine/events.js';
export { LABEL as COMPOSE_LABEL } from './engine/labels.js';
export { loadProject } from './load.js';
export { ComposeError, type Loc } from './errors.js';
export { readEnvFile, type EnvFileOptions } from './env-file.js';
export { interpolateString } from './interpolate.js';
export { renderProject, goDuration } from './render.js';
