export * from './errors.js';
export * from './types.js';
export { createRuntime, SKIFF_VERSION, type Runtime, type RuntimeOptions } from './runtime.js';
export { parseMountFlag, parseTmpfsFlag, parseVolumeFlag } from './volume/mount-spec.js';
export { validateVolumeName, type Volume } from './volume/volume-store.js';
export { parsePublishFlag } from './network/port-spec.js';
export { parseByteSize } from './spec/byte-size.js';
export type { NetworkRecord } from './network/network-store.js';
export { parseReference, formatReference, type ImageReference } from './image/reference.js';
