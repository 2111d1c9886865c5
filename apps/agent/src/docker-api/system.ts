import { dockerImageSummary } from '../docker-json/image-summary.js';
import { arch, release } from 'node:os';
import type { DiskUsage } from '@skiff/docker-types';
import { SKIFF_VERSION } from '@skiff/runtime';
import type { SystemBackend } from './backend.js';
import { API_VERSION, DockerApiError, MIN_API_VERSION, readJsonBody, sendJson } from './http.js';
import type { Route } from './route.js';
import { processResources } from '../daemon/process-resources.js';
import { dockerContainerSummary } from '../docker-json/container-summary.js';
import { dockerInfo } from '../docker-json/info.js';

const GOARCH: Record<string, string> = { x64: 'amd64', arm64: 'arm64' };

/** ping, version, info, login (`/auth`) and disk usage (`/system/df`) */
export const SYSTEM_ROUTES: Route<SystemBackend>[] = [
  {
    method: 'GET',
    pattern: /^\/_ping$/,
    async handle({ res }) {
      // builder-version 1: the client uses the classic /build protocol (no BuildKit session)
      res
        .writeHead(200, {
          'content-type': 'text/plain; charset=utf-8',
          'api-version': API_VERSION,
          'builder-version': '1',
          'docker-experimental': 'false',
          ostype: 'linux',
          'cache-control': 'no-cache, no-store, must-revalidate',
        })
        .end('OK');
    },
  },
  {
    method: 'GET',
    pattern: /^\/version$/,
    async handle({ res }) {
      sendJson(res, 200, {
        Platform: { Name: 'Skiff' },
        Components: [
          {
            Name: 'Engine',
            Version: SKIFF_VERSION,
            Details: { ApiVersion: API_VERSION, MinAPIVersion: MIN_API_VERSION, Os: 'linux', Arch: GOARCH[arch()] ?? arch() },
          },
        ],
        Version: SKIFF_VERSION,
        ApiVersion: API_VERSION,
        MinAPIVersion: MIN_API_VERSION,
        Os: 'linux',
        Arch: GOARCH[arch()] ?? arch(),
        KernelVersion: release(),
        GoVersion: `node${process.versions.node}`,
        GitCommit: 'skiff',
      });
    },
  },
  {
    method: 'GET',
    pattern: /^\/info$/,
    async handle({ res, runtime }) {
      const i = await runtime.info();
      const own = processResources();
      sendJson(res, 200, dockerInfo(i, own));
    },
  },
  {
    // `docker login`: the registry is asked as `skiff login` does; the CLI keeps the credentials itself
    method: 'POST',
    pattern: /^\/auth$/,
    async handle({ req, res, runtime }) {
      const body = (await readJsonBody<{ username?: string; password?: string; serveraddress?: string }>(req)) ?? {};
      if (!body.username) throw new DockerApiError(400, 'a username is required');
      const registry = (body.serveraddress || 'docker.io')
        .replace(/^https?:\/\//, '')
        .replace(/\/.*$/, '')
        .replace(/^index\.docker\.io$|^registry-1\.docker\.io$/, 'docker.io');
      await runtime.images.checkLogin(registry, { username: body.username, password: body.password ?? '' });
      sendJson(res, 200, { Status: 'Login Succeeded', IdentityToken: '' });
    },
  },
  {
    method: 'GET',
    pattern: /^\/system\/df$/,
    async handle({ res, runtime }) {
      const [du, containers, usage, volumes] = await Promise.all([
        runtime.images.diskUsage(),
        runtime.containers.list({ all: true }),
        runtime.containers.diskUsage(),
        runtime.volumes.list(),
      ]);
      const sizeOf = new Map(usage.map((u) => [u.id, u.size]));
      const users = new Map<string, number>();
      for (const c of containers) users.set(c.imageId, (users.get(c.imageId) ?? 0) + 1);
      const volumeSizes = await Promise.all(volumes.map((v) => runtime.volumes.size(v.name).catch(() => -1)));
      const imageSize = new Map(du.images.map((i) => [i.id, i.size]));
      sendJson(res, 200, {
        // each layer on disk once: images sharing a base share its bytes
        LayersSize: du.layersSize,
        Images: du.images.map((i) => dockerImageSummary(i, { sharedSize: i.sharedSize, containers: users.get(i.id) ?? 0 })),
        Containers: containers.map((c) => ({
          ...dockerContainerSummary(c),
          SizeRw: sizeOf.get(c.id) ?? 0,
          SizeRootFs: (sizeOf.get(c.id) ?? 0) + (imageSize.get(c.imageId) ?? 0),
        })),
        Volumes: volumes.map((v, i) => ({
          Name: v.name,
          Driver: v.driver,
          Mountpoint: v.mountpoint,
          CreatedAt: v.createdAt,
          Labels: v.labels,
          Scope: 'local',
          Options: null,
          UsageData: { Size: volumeSizes[i], RefCount: v.usedBy.length },
        })),
        BuildCache: [],
      } satisfies DiskUsage);
    },
  },
];
