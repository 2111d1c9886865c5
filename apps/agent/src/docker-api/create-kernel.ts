import { applyTmpfsOptions, checkMountTarget, type ContainerCreateSpec, type MountRequest } from '@skiff/runtime';
import type { HostConfigRequest } from '@skiff/docker-types';
import { z } from 'zod';
import { DockerApiError } from './http.js';

/**
 * HostConfig's Tmpfs, ShmSize, Ulimits, Sysctls and CpusetCpus/CpusetMems as the runtime's
 * create fields. The runtime checks the values (names, namespaces, the host's CPUs); the
 * shapes are checked here so a wrong type is a 400 naming the field.
 */
export const kernelFields = z.object({
  Tmpfs: z.record(z.string(), z.string()).nullable().optional(),
  ShmSize: z.number().int().min(0, 'SHM size can not be less than 0').nullable().optional(),
  Ulimits: z
    .array(z.object({ Name: z.string(), Soft: z.number().int(), Hard: z.number().int() }))
    .max(64)
    .nullable()
    .optional(),
  Sysctls: z.record(z.string(), z.string()).nullable().optional(),
  CpusetCpus: z.string().max(256).optional(),
  CpusetMems: z.string().max(256).optional(),
}) satisfies z.ZodType<Pick<HostConfigRequest, 'Tmpfs' | 'ShmSize' | 'Ulimits' | 'Sysctls' | 'CpusetCpus' | 'CpusetMems'>>;

export function kernelFieldsFromDocker(
  h: unknown,
): Pick<ContainerCreateSpec, 'shmSize' | 'ulimits' | 'sysctls' | 'cpusetCpus' | 'cpusetMems'> & { tmpfs: MountRequest[] } {
  const parsed = kernelFields.safeParse(h ?? {});
  if (!parsed.success) throw new DockerApiError(400, `invalid HostConfig: ${parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ')}`);
  const k = parsed.data;
  const tmpfs = Object.entries(k.Tmpfs ?? {}).map(([target, opts]) =>
    applyTmpfsOptions({ type: 'tmpfs', target: checkMountTarget(target, `tmpfs ${target}`) }, opts, `HostConfig.Tmpfs[${JSON.stringify(target)}]`),
  );
  const sysctls = k.Sysctls && Object.keys(k.Sysctls).length ? k.Sysctls : undefined;
  return {
    tmpfs,
    shmSize: k.ShmSize || undefined,
    ulimits: k.Ulimits?.length ? k.Ulimits.map((u) => ({ name: u.Name, soft: u.Soft, hard: u.Hard })) : undefined,
    sysctls,
    cpusetCpus: k.CpusetCpus || undefined,
    cpusetMems: k.CpusetMems || undefined,
  };
}
