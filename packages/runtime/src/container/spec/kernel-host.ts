import { readFileSync } from 'node:fs';
import { InvalidArgument } from '../../errors.js';
import type { ContainerCreateSpec } from '../../types.js';
import { parseCpuList, validateSysctls, validateUlimits } from './kernel-resources.js';

/** The checks of the kernel-facing create fields that need the host's own CPU and memory-node lists. */

function hostList(file: string): string {
  try {
    return readFileSync(file, 'utf8').trim() || '0';
  } catch {
    return '0'; // no NUMA information: one node
  }
}

/** the host's online CPUs and memory nodes, as the kernel lists them */
export const hostCpus = () => hostList('/sys/devices/system/cpu/online');
export const hostMems = () => hostList('/sys/devices/system/node/online');

/** Docker's check: every CPU / node asked for is one the host has ('' is none asked). */
export function validateCpuset(spec: { cpusetCpus?: string; cpusetMems?: string }): void {
  for (const [what, value, host, label] of [
    ['cpus', spec.cpusetCpus, hostCpus, 'CPUs'],
    ['mems', spec.cpusetMems, hostMems, 'memory nodes'],
  ] as const) {
    if (!value) continue;
    const have = new Set(parseCpuList(host(), what));
    if (!parseCpuList(value, what).every((n) => have.has(n))) {
      throw new InvalidArgument(`Requested ${label} are not available - requested ${value}, available: ${host()}`);
    }
  }
}

/** every kernel-facing field of a create request */
export function validateKernelResources(spec: ContainerCreateSpec, network: string): void {
  validateUlimits(spec.ulimits);
  validateSysctls(spec.sysctls, network);
  validateCpuset(spec);
  if (spec.shmSize !== undefined && (!Number.isSafeInteger(spec.shmSize) || spec.shmSize < 0)) throw new InvalidArgument('SHM size can not be less than 0');
}
