/**
 * `@skiff/runtime/parse`: the runtime's flag parsers and its error classes, which import no
 * Node built-ins and hold no state, so the dashboard's browser bundle and the compose package
 * use them without loading the runtime. (`.ts` specifiers: the dashboard's bundler reads these.)
 */
export * from './errors.ts';
export { parseMountFlag, parseTmpfsFlag, parseVolumeFlag } from './volume/mount-spec.ts';
export { parsePublishFlag } from './network/port-spec.ts';
export { parseByteSize } from './spec/byte-size.ts';
export { processWords } from './build/shell-words.ts';
export { humanDuration } from './container/views/human-duration.ts';
export { parseCpuList, parseSysctlFlag, parseUlimitFlag, ULIMIT_NAMES } from './container/spec/kernel-resources.ts';
