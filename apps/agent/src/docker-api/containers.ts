import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Duplex } from 'node:stream';
import { arch, cpus, release, totalmem } from 'node:os';
import { SKIFF_VERSION, type ContainerSummary, type ImageInspect, type Runtime, type StdioSession } from '@skiff/runtime';
import { createSpecFromDocker, type DockerCreateBody } from './container-create.js';
import { containerState, requireRunning } from './container-state.js';
import { wrapDockerError } from './daemon-errors.js';
import { pipeSession } from './frames.js';
import { importImage } from './image-import.js';
import { listImages } from './image-list.js';
import { pullImage } from './image-pull.js';
import { API_VERSION, DockerApiError, MIN_API_VERSION, readJsonBody, sendJson, truthy } from './http.js';
import { queryFilters } from './query.js';
import { sendLogBytes } from '../daemon/log-stream.js';

export interface Call {
  req: IncomingMessage;
  res: ServerResponse;
  url: URL;
  params: string[];
  runtime: Runtime;
  /** attach sessions opened before start, handed to the start call (Docker's attach-then-start) */
  pendingAttach: Map<string, (session: StdioSession) => void>;
}

export interface Route {
  method: string;
  pattern: RegExp;
  handle(call: Call): Promise<void>;
}

const GOARCH: Record<string, string> = { x64: 'amd64', arm64: 'arm64' };

function containerJson(c: ContainerSummary) {
  return {
    Id: c.id,
    Names: c.names,
    Image: c.image,
    ImageID: c.imageId,
    Command: c.command,
    Created: c.created,
    State: c.state,
    Status: c.status,
    Ports: c.ports.map((p) => ({ ...(p.publicPort ? { IP: p.ip ?? '0.0.0.0', PublicPort: p.publicPort } : {}), PrivatePort: p.privatePort, Type: p.type })),
    Labels: c.labels,
    HostConfig: { NetworkMode: c.networks[0] ?? 'default' },
    NetworkSettings: { Networks: Object.fromEntries(c.networks.map((n) => [n, {}])) },
    Mounts: [],
  };
}

function imageJson(i: ImageInspect) {
  return {
    Id: i.id,
    RepoTags: i.repoTags,
    RepoDigests: i.repoDigests,
    Parent: '',
    Comment: '',
    Created: i.created,
    Config: i.config,
    Architecture: i.architecture,
    Os: i.os,
    Size: i.size,
    RootFS: { Type: 'layers', Layers: i.rootFS.diffIDs },
    Metadata: { LastTagTime: '0001-01-01T00:00:00Z' },
  };
}

const id = (c: Call) => decodeURIComponent(c.params[0]!);

export const ROUTES: Route[] = [
  {
    method: 'GET',
    pattern: /^\/_ping$/,
    async handle({ res }) {
      // builder-version 1: the client uses the classic /build protocol (no BuildKit session)
      res.writeHead(200, { 'content-type': 'text/plain; charset=utf-8', 'api-version': API_VERSION, 'builder-version': '1', 'docker-experimental': 'false', ostype: 'linux', 'cache-control': 'no-cache, no-store, must-revalidate' }).end('OK');
    },
  },
  {
    method: 'GET',
    pattern: /^\/version$/,
    async handle({ res }) {
      sendJson(res, 200, {
        Platform: { Name: 'Skiff' },
        Components: [{ Name: 'Engine', Version: SKIFF_VERSION, Details: { ApiVersion: API_VERSION, MinAPIVersion: MIN_API_VERSION, Os: 'linux', Arch: GOARCH[arch()] ?? arch() } }],
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
      sendJson(res, 200, {
        ID: 'skiff',
        Containers: i.containers,
        ContainersRunning: i.containersRunning,
        ContainersPaused: i.containersPaused,
        ContainersStopped: i.containersStopped,
        Images: i.images,
        Driver: 'overlay2',
        CgroupDriver: 'cgroupfs',
        CgroupVersion: String(i.cgroupVersion),
        KernelVersion: i.kernel,
        OperatingSystem: i.os,
        OSType: 'linux',
        Architecture: arch() === 'x64' ? 'x86_64' : arch(),
        NCPU: cpus().length,
        MemTotal: totalmem(),
        DockerRootDir: i.root,
        Name: 'skiff',
        ServerVersion: SKIFF_VERSION,
        Runtimes: { skiff: { path: 'skiff-shim' } },
        DefaultRuntime: 'skiff',
        SecurityOptions: ['name=seccomp,profile=builtin', 'name=no-new-privileges'],
        Warnings: [],
      });
    },
  },
  {
    // `docker login`: the registry is asked as `skiff login` does; the CLI keeps the credentials itself
    method: 'POST',
    pattern: /^\/auth$/,
    async handle({ req, res, runtime }) {
      const body = (await readJsonBody<{ username?: string; password?: string; serveraddress?: string }>(req)) ?? {};
      if (!body.username) throw new DockerApiError(400, 'a username is required');
      const registry = (body.serveraddress || 'docker.io').replace(/^https?:\/\//, '').replace(/\/.*$/, '').replace(/^index\.docker\.io$|^registry-1\.docker\.io$/, 'docker.io');
      await runtime.images.checkLogin(registry, { username: body.username, password: body.password ?? '' });
      sendJson(res, 200, { Status: 'Login Succeeded', IdentityToken: '' });
    },
  },
  // ---- images ---------------------------------------------------------------------------
  {
    method: 'GET',
    pattern: /^\/images\/json$/,
    async handle({ res, url, runtime }) {
      sendJson(res, 200, await listImages(runtime, url, truthy(url.searchParams.get('all'))));
    },
  },
  {
    method: 'POST',
    pattern: /^\/images\/create$/,
    async handle(c) {
      if (c.url.searchParams.has('fromSrc')) return importImage(c);
      const from = c.url.searchParams.get('fromImage');
      if (!from) throw new DockerApiError(400, 'fromImage or fromSrc is required');
      await pullImage(c, from);
    },
  },
  {
    method: 'GET',
    pattern: /^\/images\/(.+)\/json$/,
    async handle(c) {
      sendJson(c.res, 200, imageJson(await c.runtime.images.inspect(id(c))));
    },
  },
  {
    method: 'DELETE',
    pattern: /^\/images\/(.+)$/,
    async handle(c) {
      const r = await c.runtime.images.remove(id(c), { force: truthy(c.url.searchParams.get('force')) });
      sendJson(c.res, 200, [...r.untagged.map((u) => ({ Untagged: u })), ...r.deleted.map((d) => ({ Deleted: d }))]);
    },
  },
  // ---- containers -----------------------------------------------------------------------
  {
    method: 'GET',
    pattern: /^\/containers\/json$/,
    async handle({ res, url, runtime }) {
      const f = queryFilters(url);
      const list = await runtime.containers.list({
        all: truthy(url.searchParams.get('all')),
        filters: { label: f.label, name: f.name, id: f.id, status: f.status as ContainerSummary['state'][] | undefined },
      });
      const limit = Number(url.searchParams.get('limit') ?? -1);
      sendJson(res, 200, (limit > 0 ? list.slice(0, limit) : list).map(containerJson));
    },
  },
  {
    method: 'POST',
    pattern: /^\/containers\/create$/,
    async handle({ req, res, url, runtime }) {
      const body = (await readJsonBody<DockerCreateBody>(req)) ?? {};
      const r = await runtime.containers.create(createSpecFromDocker(body, url.searchParams.get('name') ?? undefined));
      sendJson(res, 201, { Id: r.id, Warnings: r.warnings });
    },
  },
  {
    method: 'GET',
    pattern: /^\/containers\/([^/]+)\/json$/,
    async handle(c) {
      sendJson(c.res, 200, await c.runtime.containers.inspect(id(c)));
    },
  },
  {
    method: 'POST',
    pattern: /^\/containers\/([^/]+)\/start$/,
    async handle(c) {
      const target = await c.runtime.containers.inspect(id(c));
      const full = String(target.Id);
      if ((target.State as { Running?: boolean }).Running) {
        c.res.writeHead(304).end();
        return;
      }
      const waiting = c.pendingAttach.get(full);
      if (waiting) {
        c.pendingAttach.delete(full);
        waiting(await c.runtime.containers.startAttached(full));
      } else await c.runtime.containers.start(full);
      c.res.writeHead(204).end();
    },
  },
  {
    method: 'POST',
    pattern: /^\/containers\/([^/]+)\/(stop|restart)$/,
    async handle(c) {
      const t = c.url.searchParams.get('t');
      const timeout = t === null ? undefined : Number(t);
      if (c.params[1] === 'stop') await c.runtime.containers.stop(id(c), { timeout, signal: c.url.searchParams.get('signal') ?? undefined });
      else await c.runtime.containers.restart(id(c), { timeout });
      c.res.writeHead(204).end();
    },
  },
  {
    method: 'POST',
    pattern: /^\/containers\/([^/]+)\/kill$/,
    async handle(c) {
      // dockerd wraps whatever fails with the container as it was named
      try {
        const state = await containerState(c.runtime, id(c));
        requireRunning(state);
        await c.runtime.containers.kill(state.id, c.url.searchParams.get('signal') || 'SIGKILL');
      } catch (e) {
        throw wrapDockerError(e, `cannot kill container: ${id(c)}`);
      }
      c.res.writeHead(204).end();
    },
  },
  {
    method: 'POST',
    pattern: /^\/containers\/([^/]+)\/wait$/,
    async handle(c) {
      const full = String((await c.runtime.containers.inspect(id(c))).Id);
      const condition = c.url.searchParams.get('condition') || 'not-running';
      if (condition !== 'not-running' && condition !== 'next-exit' && condition !== 'removed') throw new DockerApiError(400, `invalid condition: "${condition}"`);
      // headers first: the client waits on this response while it starts the container
      c.res.writeHead(200, { 'content-type': 'application/json', 'api-version': API_VERSION });
      c.res.flushHeaders();
      const ac = new AbortController();
      c.res.once('close', () => ac.abort());
      try {
        const code = (await c.runtime.containers.wait(full, { signal: ac.signal, condition })).statusCode;
        c.res.end(JSON.stringify({ StatusCode: code, Error: null }));
      } catch (e) {
        c.res.end(JSON.stringify({ StatusCode: -1, Error: { Message: (e as Error).message } }));
      }
    },
  },
  {
    method: 'GET',
    pattern: /^\/containers\/([^/]+)\/logs$/,
    async handle(c) {
      const q = c.url.searchParams;
      const info = await c.runtime.containers.inspect(id(c));
      const tty = !!(info.Config as { Tty?: boolean }).Tty;
      const stdout = truthy(q.get('stdout'));
      const stderr = truthy(q.get('stderr'));
      if (!stdout && !stderr) throw new DockerApiError(400, 'you must choose at least one stream');
      const tail = q.get('tail');
      const headers = { 'content-type': tty ? 'application/vnd.docker.raw-stream' : 'application/vnd.docker.multiplexed-stream', 'api-version': API_VERSION };
      await sendLogBytes(c.res, headers, (signal) =>
        c.runtime.containers.logStream(String(info.Id), {
          follow: truthy(q.get('follow')),
          tail: tail && tail !== 'all' ? Number(tail) : undefined,
          since: q.get('since') ? Number(q.get('since')) : undefined,
          until: q.get('until') ? Number(q.get('until')) : undefined,
          stdout,
          stderr,
          timestamps: truthy(q.get('timestamps')),
          raw: tty,
          signal,
        }),
      );
    },
  },
  {
    method: 'DELETE',
    pattern: /^\/containers\/([^/]+)$/,
    async handle(c) {
      await c.runtime.containers.remove(id(c), { force: truthy(c.url.searchParams.get('force')), volumes: truthy(c.url.searchParams.get('v')) });
      c.res.writeHead(204).end();
    },
  },
];

/**
 * `POST /containers/{id}/attach?stream=1&stdout=1&stderr=1`: the connection is hijacked
 * (101 UPGRADED, then raw bytes both ways). Before start, the session is parked until the
 * start call creates it, so the first output is never missed.
 */
export async function attach(runtime: Runtime, pendingAttach: Call['pendingAttach'], req: IncomingMessage, socket: Duplex, containerId: string, url: URL): Promise<void> {
  const info = await runtime.containers.inspect(containerId);
  const full = String(info.Id);
  const tty = !!(info.Config as { Tty?: boolean }).Tty;
  const running = !!(info.State as { Running?: boolean }).Running;
  const wantStdin = truthy(url.searchParams.get('stdin'));
  const wantStdout = truthy(url.searchParams.get('stdout'));
  const wantStderr = truthy(url.searchParams.get('stderr'));
  const upgrade = req.headers.upgrade ? 'Connection: Upgrade\r\nUpgrade: tcp\r\n' : '';
  socket.write(`HTTP/1.1 ${upgrade ? '101 UPGRADED' : '200 OK'}\r\nContent-Type: ${tty ? 'application/vnd.docker.raw-stream' : 'application/vnd.docker.multiplexed-stream'}\r\n${upgrade}\r\n`);
  const wire = (session: StdioSession) => pipeSession(session, socket, { tty, stdout: wantStdout, stderr: wantStderr, stdin: wantStdin, onClose: () => session.detach() });
  if (running) wire(await runtime.containers.attach(full));
  else {
    pendingAttach.set(full, wire);
    socket.on('close', () => {
      if (pendingAttach.get(full) === wire) pendingAttach.delete(full);
    });
  }
}
