import { isSkiffError, type ContainerUpdateSpec } from '@skiff/runtime';
import { z } from 'zod';
import { restartPolicyFromDocker } from './container-create.js';
import { containerState } from './container-state.js';
import { wrapDockerError } from './daemon-errors.js';
import { DockerApiError, isZero, readJsonBody, sendJson } from './http.js';
import type { ContainerUpdateBackend } from './backend.js';
import { param, type Route } from './route.js';

/**
 * The parts of Docker's UpdateConfig the runtime applies. The client sends the whole
 * Resources struct, so every other field must be Go's zero value (not set).
 */
const updateBody = z.looseObject({
  Memory: z.number().int().optional(),
  MemorySwap: z.number().int().optional(),
  NanoCpus: z.number().int().optional(),
  CpuShares: z.number().int().optional(),
  PidsLimit: z.number().int().nullable().optional(),
  CpusetCpus: z.string().max(256).optional(),
  CpusetMems: z.string().max(256).optional(),
  RestartPolicy: z.object({ Name: z.string().optional(), MaximumRetryCount: z.number().int().optional() }).nullable().optional(),
});

const APPLIED = new Set(Object.keys(updateBody.shape));

/** dockerd's zeros: 0 leaves a limit as it is; a pids limit of 0 or less removes it */
function updateSpec(raw: unknown): ContainerUpdateSpec {
  const parsed = updateBody.safeParse(raw ?? {});
  if (!parsed.success) throw new DockerApiError(400, `invalid update: ${parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ')}`);
  const b = parsed.data;
  const unsupported = Object.entries(b)
    .filter(([k, v]) => !APPLIED.has(k) && !isZero(v))
    .map(([k]) => k);
  if (unsupported.length)
    throw new DockerApiError(
      400,
      `docker update of ${unsupported.join(', ')} is not supported by Skiff (memory, memory-swap, cpus, cpu-shares, cpuset-cpus, cpuset-mems, pids-limit and restart are)`,
    );
  return {
    memory: b.Memory || undefined,
    memorySwap: b.MemorySwap || undefined,
    nanoCpus: b.NanoCpus || undefined,
    cpuShares: b.CpuShares || undefined,
    pidsLimit: b.PidsLimit ?? undefined,
    cpusetCpus: b.CpusetCpus || undefined,
    cpusetMems: b.CpusetMems || undefined,
    restartPolicy: restartPolicyFromDocker(b.RestartPolicy),
  };
}

/**
 * `POST /containers/{id}/update` (`docker update`) over the runtime's update: the new
 * limits show in inspect and hold over restarts of the container and of the agent. As
 * dockerd, a refusal of the update itself (not of its arguments) is "Cannot update
 * container <id>: …".
 */
export const UPDATE_ROUTES: Route<ContainerUpdateBackend>[] = [
  {
    method: 'POST',
    pattern: /^\/containers\/([^/]+)\/update$/,
    async handle(c) {
      const spec = updateSpec(await readJsonBody(c.req));
      const { id } = await containerState(c.runtime, param(c));
      try {
        const { warnings } = await c.runtime.containers.update(id, spec);
        sendJson(c.res, 200, { Warnings: warnings.length ? warnings : null });
      } catch (e) {
        throw isSkiffError(e) && e.code !== 'CONFLICT' ? e : wrapDockerError(e, `Cannot update container ${id}`);
      }
    },
  },
];
