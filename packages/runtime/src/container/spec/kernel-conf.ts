import type { ShimConfValue } from '../shim/shim-conf.js';
import type { ContainerCreateSpec, Ulimit } from '../../types.js';
import { sysctlPath } from './kernel-resources.js';

/** `ulimit=name:soft:hard` lines (-1 unlimited); the shim maps the names to RLIMIT_* */
export function ulimitLines(ulimits: readonly Ulimit[] | undefined): string[] | undefined {
  return ulimits?.length ? ulimits.map((u) => `${u.name}:${u.soft}:${u.hard}`) : undefined;
}

/** the shim.conf lines of --shm-size, --ulimit and --sysctl (`sysctl=path/below/proc/sys=value`) */
export function kernelConfLines(spec: ContainerCreateSpec): [string, ShimConfValue][] {
  const sysctls = Object.entries(spec.sysctls ?? {}).map(([k, v]) => `${sysctlPath(k)}=${v}`);
  return [
    ['shmSize', spec.shmSize || undefined],
    ['ulimit', ulimitLines(spec.ulimits)],
    ['sysctl', sysctls.length ? sysctls : undefined],
  ];
}
