import type { ContainerCreateRequest, ContainerMountRequest, EndpointSettingsRequest, HostConfigRequest } from '@skiff/docker-types';
import { z } from 'zod';
import { kernelFields } from './create-kernel.js';
import { DockerApiError } from './http.js';

/**
 * The shape of `POST /containers/create`'s body (@skiff/docker-types' ContainerCreateRequest),
 * checked at the edge so a wrong type is a 400 naming the field, not a TypeError deep in
 * the spec mapping. Go clients send whole structs: nulls and zeros everywhere are fine.
 * Unknown fields are stripped here; create-refusals.ts judges them on the raw body.
 */

const nul = <T extends z.ZodType>(t: T) => t.nullable().optional();
const strings = nul(z.array(z.string()));
const words = nul(z.union([z.array(z.string()), z.string()]));
const stringMap = nul(z.record(z.string(), z.string()));
const openMap = nul(z.record(z.string(), z.unknown()));

const mount = z.object({
  Type: z.string().optional(),
  Source: z.string().optional(),
  Target: z.string().optional(),
  ReadOnly: z.boolean().optional(),
  Consistency: z.string().optional(),
  BindOptions: openMap,
  VolumeOptions: nul(z.looseObject({ NoCopy: z.boolean().optional() })),
  TmpfsOptions: nul(z.looseObject({ SizeBytes: z.number().optional(), Mode: z.number().optional() })),
}) satisfies z.ZodType<ContainerMountRequest>;

const hostConfig = z.object({
  ...kernelFields.shape,
  Binds: strings,
  PortBindings: nul(z.record(z.string(), z.array(z.object({ HostIp: z.string().optional(), HostPort: z.string().optional() })).nullable())),
  PublishAllPorts: z.boolean().optional(),
  AutoRemove: z.boolean().optional(),
  RestartPolicy: nul(z.object({ Name: z.string().optional(), MaximumRetryCount: z.number().int().optional() })),
  Memory: z.number().optional(),
  MemorySwap: z.number().optional(),
  NanoCpus: z.number().optional(),
  CpuShares: z.number().optional(),
  PidsLimit: nul(z.number()),
  NetworkMode: z.string().optional(),
  Mounts: nul(z.array(mount)),
  Init: nul(z.boolean()),
  ReadonlyRootfs: z.boolean().optional(),
  CgroupnsMode: z.string().optional(),
  CapAdd: strings,
  CapDrop: strings,
  ExtraHosts: strings,
  Dns: strings,
  VolumesFrom: strings,
  Links: strings,
}) satisfies z.ZodType<HostConfigRequest>;

/** an endpoint asked for at create or connect */
export const endpointSettings = z.object({
  Aliases: strings,
  IPAMConfig: nul(z.object({ IPv4Address: z.string().optional() })),
  Links: strings,
  MacAddress: z.string().optional(),
}) satisfies z.ZodType<EndpointSettingsRequest>;

const createRequest = z.object({
  Image: z.string().optional(),
  Cmd: words,
  Entrypoint: words,
  Env: strings,
  WorkingDir: z.string().optional(),
  User: z.string().optional(),
  Hostname: z.string().optional(),
  Labels: stringMap,
  Tty: z.boolean().optional(),
  OpenStdin: z.boolean().optional(),
  StopSignal: z.string().optional(),
  StopTimeout: nul(z.number().int()),
  Healthcheck: nul(
    z.object({
      Test: strings,
      Interval: z.number().optional(),
      Timeout: z.number().optional(),
      StartPeriod: z.number().optional(),
      StartInterval: z.number().optional(),
      Retries: z.number().int().optional(),
    }),
  ),
  Volumes: openMap,
  ExposedPorts: openMap,
  MacAddress: z.string().optional(),
  NetworkDisabled: z.boolean().optional(),
  HostConfig: nul(hostConfig),
  NetworkingConfig: nul(z.object({ EndpointsConfig: nul(z.record(z.string(), endpointSettings.nullable())) })),
});

/** the schema and the wire type must not drift: a field added to one side only fails the typecheck */
type Same<A, B> = [A] extends [B] ? ([B] extends [A] ? true : false) : false;
const agree: Same<z.output<typeof createRequest>, ContainerCreateRequest> = true;
void agree;

/** "HostConfig.Mounts.0.Target: expected string" for each issue */
export function zodIssues(error: z.ZodError): string {
  return error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ');
}

/** the create body as its wire type; a body that is not one is a 400 */
export function parseCreateBody(raw: unknown): ContainerCreateRequest {
  const parsed = createRequest.safeParse(raw ?? {});
  if (!parsed.success) throw new DockerApiError(400, `invalid container config: ${zodIssues(parsed.error)}`);
  return parsed.data;
}
