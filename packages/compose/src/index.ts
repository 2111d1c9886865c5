export * from './model.js';
export { ComposeEngine, type ComposeEvent, type UpOptions, type DownOptions, type ProjectSummary } from './engine/engine.js';
export { LABEL as COMPOSE_LABEL } from './engine/labels.js';
