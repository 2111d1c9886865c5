import type { Volume as DockerVolume } from '@skiff/docker-types';
import type { Volume } from '@skiff/runtime';
import { DockerApiError, readJsonBody, sendJson, truthy } from './http.js';
import { pruneFilter } from './prune-filters.js';
import type { VolumeBackend } from './backend.js';
import { queryFilters } from './query.js';
import { param, type Route } from './route.js';

function volumeJson(v: Volume & { usedBy?: string[] }): DockerVolume {
  return { Name: v.name, Driver: v.driver, Mountpoint: v.mountpoint, CreatedAt: v.createdAt, Labels: v.labels, Scope: 'local', Options: null };
}

const bool = (v: string | undefined) => (v === undefined ? undefined : v === 'true' || v === '1');

/** Docker's volume endpoints over runtime.volumes (local driver only) */
export const VOLUME_ROUTES: Route<VolumeBackend>[] = [
  {
    method: 'GET',
    pattern: /^\/volumes$/,
    async handle({ res, url, runtime }) {
      const f = queryFilters(url);
      if (f.driver?.length && !f.driver.includes('local')) return sendJson(res, 200, { Volumes: [], Warnings: [] });
      const list = await runtime.volumes.list({ dangling: bool(f.dangling?.[0]), label: f.label, name: f.name });
      sendJson(res, 200, { Volumes: list.map(volumeJson), Warnings: [] });
    },
  },
  {
    method: 'POST',
    pattern: /^\/volumes\/create$/,
    async handle({ req, res, runtime }) {
      const body = (await readJsonBody<{ Name?: string; Driver?: string; DriverOpts?: Record<string, string>; Labels?: Record<string, string> }>(req)) ?? {};
      if (body.Driver && body.Driver !== 'local') throw new DockerApiError(400, `volume driver ${body.Driver} is not supported: Skiff has local volumes only`);
      if (body.DriverOpts && Object.keys(body.DriverOpts).length) throw new DockerApiError(400, 'volume driver options (-o) are not supported');
      sendJson(res, 201, volumeJson(await runtime.volumes.create(body.Name || undefined, { labels: body.Labels ?? {} })));
    },
  },
  {
    method: 'POST',
    pattern: /^\/volumes\/prune$/,
    async handle({ res, url, runtime }) {
      const f = queryFilters(url);
      const prune = pruneFilter(f, ['label', 'label!', 'all']);
      const all = bool(f.all?.[0]);
      if (!prune.narrowed) {
        const r = await runtime.volumes.prune({ all });
        return sendJson(res, 200, { VolumesDeleted: r.deleted, SpaceReclaimed: r.spaceReclaimed });
      }
      // filtered by label: the unused volumes that match, one by one
      const deleted: string[] = [];
      let space = 0;
      for (const v of await runtime.volumes.list({ dangling: true })) {
        if ((!v.anonymous && !all) || !prune.matches(v.labels, Date.parse(v.createdAt) / 1000)) continue;
        const size = await runtime.volumes.size(v.name).catch(() => 0);
        await runtime.volumes.remove(v.name).then(
          () => {
            deleted.push(v.name);
            space += size;
          },
          () => {},
        );
      }
      sendJson(res, 200, { VolumesDeleted: deleted, SpaceReclaimed: space });
    },
  },
  {
    method: 'GET',
    pattern: /^\/volumes\/([^/]+)$/,
    async handle(c) {
      const v = await c.runtime.volumes.inspect(param(c));
      sendJson(c.res, 200, { ...volumeJson(v), UsageData: { Size: -1, RefCount: v.usedBy.length } });
    },
  },
  {
    method: 'DELETE',
    pattern: /^\/volumes\/([^/]+)$/,
    async handle(c) {
      await c.runtime.volumes.remove(param(c), { force: truthy(c.url.searchParams.get('force')) });
      c.res.writeHead(204).end();
    },
  },
];
