import type { ContainerCreateSpec, EndpointRequest } from '@skiff/runtime';
import { z } from 'zod';
import { DockerApiError } from './http.js';

/**
 * `NetworkingConfig.EndpointsConfig` and `HostConfig.NetworkMode` as the runtime's networks:
 * the mode's network first (it carries the ports), then every other endpoint. API 1.44+
 * lets a create name several (`docker run --network a --network b`), each with its own
 * aliases and address. The shapes are checked here so a wrong type is a 400 naming the field.
 */
const endpointSettings = z
  .object({
    Aliases: z.array(z.string().max(255)).max(64).nullable().optional(),
    IPAMConfig: z
      .object({ IPv4Address: z.string().max(64).optional() })
      .passthrough()
      .nullable()
      .optional(),
    Links: z.array(z.string().max(512)).max(64).nullable().optional(),
    MacAddress: z.string().max(64).optional(),
  })
  .passthrough()
  .nullable();

const networking = z.object({
  EndpointsConfig: z.record(z.string().min(1).max(255), endpointSettings).nullable().optional(),
});

/** `ConsoleSize` [rows, columns]; the CLI sends [0, 0] when it has no terminal */
const consoleSize = z
  .tuple([z.number().int().min(0).max(65535), z.number().int().min(0).max(65535)])
  .nullable()
  .optional();

export type DockerNetworkingConfig = z.input<typeof networking>;
type Settings = NonNullable<z.output<typeof endpointSettings>>;

function parsed<T>(schema: z.ZodType<T>, v: unknown, what: string): T {
  const r = schema.safeParse(v);
  if (!r.success) throw new DockerApiError(400, `invalid ${what}: ${r.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ')}`);
  return r.data;
}

function request(network: string, s: Settings | null | undefined): EndpointRequest {
  return {
    network,
    ip: s?.IPAMConfig?.IPv4Address || undefined,
    aliases: s?.Aliases?.length ? s.Aliases : undefined,
    macAddress: s?.MacAddress || undefined,
  };
}

export function networksFromDocker(
  body: { NetworkingConfig?: unknown; NetworkDisabled?: boolean; MacAddress?: string },
  networkMode: string | undefined,
): Pick<ContainerCreateSpec, 'network' | 'networkAliases' | 'ip' | 'macAddress' | 'extraNetworks'> & { links?: string[] } {
  const endpoints = parsed(networking, body.NetworkingConfig ?? {}, 'NetworkingConfig').EndpointsConfig ?? {};
  const names = Object.keys(endpoints);
  // Docker's "default" is its bridge; NetworkDisabled is no interface but lo, as `--network none`
  const mode = !networkMode || networkMode === 'default' ? undefined : networkMode;
  // several endpoints and no mode: the first is the primary, as the docker CLI would have named it
  const network = body.NetworkDisabled && !mode ? 'none' : (mode ?? (names.length > 1 ? names[0] : undefined));
  // the primary's endpoint; a lone endpoint is the primary's whatever its key (an id, "default")
  const primaryKey = network !== undefined && network in endpoints ? network : names.length === 1 ? names[0] : undefined;
  const primary = request(network ?? 'bridge', primaryKey === undefined ? undefined : endpoints[primaryKey]);
  const extra = names.filter((n) => n !== primaryKey).map((n) => request(n, endpoints[n]));
  const links = primaryKey === undefined ? undefined : endpoints[primaryKey]?.Links;
  return {
    network,
    networkAliases: primary.aliases,
    ip: primary.ip,
    macAddress: primary.macAddress || body.MacAddress || undefined,
    extraNetworks: extra.length ? extra : undefined,
    links: links?.length ? links : undefined,
  };
}

export function consoleSizeFromDocker(v: unknown): [number, number] | undefined {
  const size = parsed(consoleSize, v, 'HostConfig.ConsoleSize');
  return size && (size[0] || size[1]) ? size : undefined;
}
