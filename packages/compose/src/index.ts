export * from './model.js';
export { loadProject } from './load.js';
export { ComposeError, type Loc } from './errors.js';
export { readEnvFile, type EnvFileOptions } from './env-file.js';
export { interpolateString } from './interpolate.js';
