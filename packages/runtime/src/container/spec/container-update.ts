import { Conflict, InvalidArgument } from '../../errors.js';
import type { ContainerCreateSpec, ContainerUpdateSpec, RestartPolicy } from '../../types.js';
import type { ContainerRecord } from '../store/container-record.js';
import { validateCpuset } from './kernel-host.js';

export const MIN_MEMORY = 6 * 1024 * 1024;

/** memory + swap as it stands: Docker's default for a memory limit without one is twice the memory */
export function effectiveSwap(spec: ContainerCreateSpec): number {
  return spec.memorySwap ?? (spec.memory ? spec.memory * 2 : 0);
}

const integer = (name: string, v: number | undefined) => {
  if (v !== undefined && !Number.isSafeInteger(v)) throw new InvalidArgument(`invalid ${name}: ${v}`);
};

/**
 * `docker update`: the record's spec and restart policy after an update, by dockerd's rules
 * (daemon/update.go, container.UpdateContainer): a field left out stays; memory above the
 * memory + swap limit in place needs a new swap limit too; a pids limit of 0 or less means
 * none; an `--rm` container keeps restart policy `no`. The words are dockerd's (the
 * Docker API gives them its capital letter back).
 */
export function applyUpdate(record: ContainerRecord, u: ContainerUpdateSpec, cpus: number): { spec: ContainerCreateSpec; restartPolicy: RestartPolicy } {
  for (const [name, v] of [
    ['memory', u.memory],
    ['memory swap', u.memorySwap],
    ['nano CPUs', u.nanoCpus],
    ['CPU shares', u.cpuShares],
    ['pids limit', u.pidsLimit],
  ] as const)
    integer(name, v);
  // checked before anything else, as dockerd's verifyContainerSettings does
  if (u.memory !== undefined && u.memory < MIN_MEMORY) throw new InvalidArgument('minimum memory limit allowed is 6MB');
  if (u.memory !== undefined && u.memorySwap !== undefined && u.memorySwap > 0 && u.memorySwap < u.memory) {
    throw new InvalidArgument('minimum memoryswap limit should be larger than memory limit, see usage');
  }
  if (u.memorySwap !== undefined && u.memorySwap < -1) throw new InvalidArgument(`invalid memory swap: ${u.memorySwap}`);
  if (u.nanoCpus !== undefined && (u.nanoCpus <= 0 || u.nanoCpus > cpus * 1e9)) {
    throw new InvalidArgument(`range of CPUs is from 0.01 to ${cpus}.00, as there are only ${cpus} CPUs available`);
  }
  if (u.cpuShares !== undefined && u.cpuShares <= 0) throw new InvalidArgument(`invalid CPU shares: ${u.cpuShares}`);
  validateCpuset(u);
  const p = u.restartPolicy;
  if (p?.name === 'on-failure' && (p.maximumRetryCount ?? 0) < 0) throw new InvalidArgument('invalid restart policy: maximum retry count cannot be negative');

  const spec: ContainerCreateSpec = { ...record.spec };
  if (u.memory !== undefined) {
    if (u.memory > effectiveSwap(record.spec) && u.memorySwap === undefined) {
      throw new Conflict('memory limit should be smaller than already set memoryswap limit, update the memoryswap at the same time');
    }
    // the swap limit in place stays as it is: twice the new memory is no longer the default
    spec.memorySwap = effectiveSwap(record.spec);
    spec.memory = u.memory;
  }
  if (u.memorySwap !== undefined) spec.memorySwap = u.memorySwap;
  if (u.nanoCpus !== undefined) spec.nanoCpus = u.nanoCpus;
  if (u.cpuShares !== undefined) spec.cpuShares = u.cpuShares;
  if (u.pidsLimit !== undefined) spec.pidsLimit = Math.max(0, u.pidsLimit);
  if (u.cpusetCpus !== undefined) spec.cpusetCpus = u.cpusetCpus || undefined;
  if (u.cpusetMems !== undefined) spec.cpusetMems = u.cpusetMems || undefined;
  let restartPolicy = record.restartPolicy;
  if (p) {
    if (record.spec.autoRemove && p.name !== 'no') throw new Conflict('restart policy cannot be updated because AutoRemove is enabled for the container');
    restartPolicy = p;
    spec.restartPolicy = p;
  }
  return { spec, restartPolicy };
}
