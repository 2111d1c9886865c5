import type { NetworkConnectRequest, NetworkCreateResponse, NetworkDisconnectRequest } from '@skiff/docker-types';
import type { NetworkRecord } from '@skiff/runtime';
import type { NetworkBackend } from './backend.js';
import { z } from 'zod';
import { endpointSettings, zodIssues } from './create-body.js';
import { DockerApiError, readJsonBody, sendJson } from './http.js';
import { pruneFilter } from './prune-filters.js';
import { labelMatches, queryFilters } from './query.js';
import { param, type Route } from './route.js';
import { networkJson } from '../docker-json/network.js';

interface CreateBody {
  Name?: string;
  Driver?: string;
  Internal?: boolean;
  EnableIPv6?: boolean;
  IPAM?: { Driver?: string; Config?: { Subnet?: string; Gateway?: string; IPRange?: string }[] };
  Options?: Record<string, string>;
  Labels?: Record<string, string>;
}

/** connect and disconnect share the route: one schema for both bodies */
const connectBody = z.object({
  Container: z.string().optional(),
  Force: z.boolean().optional(),
  EndpointConfig: endpointSettings.nullable().optional(),
}) satisfies z.ZodType<NetworkConnectRequest & NetworkDisconnectRequest>;

/** Docker's network endpoints over runtime.networks (bridge driver; host/none are built in) */
export const NETWORK_ROUTES: Route<NetworkBackend>[] = [
  {
    method: 'GET',
    pattern: /^\/networks$/,
    async handle({ res, url, runtime }) {
      const f = queryFilters(url);
      const builtin = (n: NetworkRecord) => !!(n.builtin || n.isDefault);
      const list = runtime.networks
        .list()
        .filter(
          (n) =>
            (!f.name?.length || f.name.some((x) => n.name.includes(x))) &&
            (!f.id?.length || f.id.some((x) => n.id.startsWith(x))) &&
            (!f.driver?.length || f.driver.includes(n.driver)) &&
            (!f.label?.length || f.label.every((l) => labelMatches(n.labels, l))) &&
            (!f.type?.length || f.type.includes(builtin(n) ? 'builtin' : 'custom')) &&
            (!f.dangling?.length || (f.dangling[0] === 'true' || f.dangling[0] === '1') === (!builtin(n) && runtime.networks.endpointsOf(n.id).length === 0)),
        );
      sendJson(
        res,
        200,
        list.map((n) => networkJson(runtime.networks, n)),
      );
    },
  },
  {
    method: 'POST',
    pattern: /^\/networks\/create$/,
    async handle({ req, res, runtime }) {
      const body = (await readJsonBody<CreateBody>(req)) ?? {};
      if (!body.Name) throw new DockerApiError(400, 'network name is required');
      if (body.Driver && body.Driver !== 'bridge')
        throw new DockerApiError(400, `network driver ${body.Driver} is not supported: Skiff creates bridge networks`);
      if (body.EnableIPv6) throw new DockerApiError(400, 'IPv6 networks are not supported');
      const ipam = body.IPAM?.Config ?? [];
      if (ipam.length > 1) throw new DockerApiError(400, 'one IPAM config (one IPv4 subnet) per network is supported');
      const n = await runtime.networks.create(body.Name, {
        subnet: ipam[0]?.Subnet || undefined,
        gateway: ipam[0]?.Gateway || undefined,
        ipRange: ipam[0]?.IPRange || undefined,
        internal: !!body.Internal,
        labels: body.Labels ?? {},
      });
      sendJson(res, 201, { Id: n.id, Warning: '' } satisfies NetworkCreateResponse);
    },
  },
  {
    method: 'POST',
    pattern: /^\/networks\/prune$/,
    async handle({ res, url, runtime }) {
      const prune = pruneFilter(queryFilters(url), ['label', 'label!', 'until']);
      sendJson(res, 200, { NetworksDeleted: await runtime.networks.prune({ match: (n) => prune.matches(n.labels, Date.parse(n.created) / 1000) }) });
    },
  },
  {
    method: 'GET',
    pattern: /^\/networks\/([^/]+)$/,
    async handle(c) {
      sendJson(c.res, 200, networkJson(c.runtime.networks, c.runtime.networks.get(param(c))));
    },
  },
  {
    method: 'DELETE',
    pattern: /^\/networks\/([^/]+)$/,
    async handle(c) {
      const n = c.runtime.networks.get(param(c));
      // dockerd refuses these as forbidden, not as a conflict
      if (n.builtin || n.isDefault) throw new DockerApiError(403, `${n.name} is a pre-defined network and cannot be removed`);
      const endpoints = c.runtime.networks.endpointsOf(n.id);
      // dockerd names what is still connected (libnetwork's ActiveEndpointsError, a 403)
      if (endpoints.length) {
        const listed = endpoints.map((e) => `name:"${e.name}" id:"${e.endpoint.hostVeth.slice(0, 12)}"`).join(', ');
        throw new DockerApiError(403, `error while removing network: network ${n.name} has active endpoints (${listed})`);
      }
      await c.runtime.networks.remove(n.id);
      c.res.writeHead(204).end();
    },
  },
  {
    method: 'POST',
    pattern: /^\/networks\/([^/]+)\/(connect|disconnect)$/,
    async handle(c) {
      const parsed = connectBody.safeParse((await readJsonBody<unknown>(c.req)) ?? {});
      if (!parsed.success) throw new DockerApiError(400, `invalid ${c.params[1]} request: ${zodIssues(parsed.error)}`);
      const body = parsed.data;
      if (!body.Container) throw new DockerApiError(400, 'Container is required');
      const network = c.runtime.networks.get(param(c)).name;
      if (c.params[1] === 'connect') {
        const e = body.EndpointConfig ?? {};
        await c.runtime.containers.connect(body.Container, network, {
          ip: e.IPAMConfig?.IPv4Address || undefined,
          aliases: e.Aliases?.length ? e.Aliases : undefined,
        });
      } else await c.runtime.containers.disconnect(body.Container, network);
      c.res.writeHead(200, { 'content-length': 0 }).end();
    },
  },
];
