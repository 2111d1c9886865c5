export * from './errors.js';
export * from './types.js';
export { createRuntime, SKIFF_VERSION, type Runtime, type RuntimeOptions } from './runtime.js';
