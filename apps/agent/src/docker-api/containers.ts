import type { ContainerSummary } from '@skiff/runtime';
import type { ContainerBackend } from './backend.js';
import type { PendingAttaches } from './container-attach.js';
import { createSpecFromDocker } from './container-create.js';
import { containerState, requireNotPaused, requirePaused, requireRunning } from './container-state.js';
import { wrapDockerError } from './daemon-errors.js';
import { API_VERSION, DockerApiError, readJsonBody, sendJson, truthy } from './http.js';
import { pruneFilter } from './prune-filters.js';
import { queryFilters } from './query.js';
import { param, type Route } from './route.js';
import { sendLogBytes } from '../daemon/log-stream.js';
import { dockerContainerSummary } from '../docker-json/container-summary.js';

/** `tail` as dockerd reads it: a count; `all`, a negative number or anything unparsable is every line */
export function logTail(v: string | null): number | undefined {
  const n = v === null || v === '' ? NaN : Number(v);
  return Number.isInteger(n) && n >= 0 ? n : undefined;
}

/**
 * Docker's container endpoints over runtime.containers: list, create, inspect, the
 * lifecycle, wait, logs, remove, top, changes, rename, pause/unpause and prune. A start
 * hands the process to an attach parked before it (Docker's attach-then-start).
 */
export function containerRoutes(pending: PendingAttaches): Route<ContainerBackend>[] {
  return [
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
        sendJson(res, 200, (limit > 0 ? list.slice(0, limit) : list).map(dockerContainerSummary));
      },
    },
    {
      method: 'POST',
      pattern: /^\/containers\/create$/,
      async handle({ req, res, url, runtime }) {
        const body = await readJsonBody<unknown>(req);
        const r = await runtime.containers.create(createSpecFromDocker(body, url.searchParams.get('name') ?? undefined));
        sendJson(res, 201, { Id: r.id, Warnings: r.warnings });
      },
    },
    {
      method: 'GET',
      pattern: /^\/containers\/([^/]+)\/json$/,
      async handle(c) {
        sendJson(c.res, 200, await c.runtime.containers.inspect(param(c)));
      },
    },
    {
      method: 'POST',
      pattern: /^\/containers\/([^/]+)\/start$/,
      async handle(c) {
        const target = await c.runtime.containers.inspect(param(c));
        const full = target.Id;
        if (target.State.Running) {
          c.res.writeHead(304).end();
          return;
        }
        const waiting = pending.take(full);
        if (waiting) waiting(await c.runtime.containers.startAttached(full));
        else await c.runtime.containers.start(full);
        c.res.writeHead(204).end();
      },
    },
    {
      method: 'POST',
      pattern: /^\/containers\/([^/]+)\/(stop|restart)$/,
      async handle(c) {
        const t = c.url.searchParams.get('t');
        const timeout = t === null ? undefined : Number(t);
        if (c.params[1] === 'stop') await c.runtime.containers.stop(param(c), { timeout, signal: c.url.searchParams.get('signal') ?? undefined });
        else await c.runtime.containers.restart(param(c), { timeout });
        c.res.writeHead(204).end();
      },
    },
    {
      method: 'POST',
      pattern: /^\/containers\/([^/]+)\/kill$/,
      async handle(c) {
        // dockerd wraps whatever fails with the container as it was named
        try {
          const state = await containerState(c.runtime, param(c));
          requireRunning(state);
          await c.runtime.containers.kill(state.id, c.url.searchParams.get('signal') || 'SIGKILL');
        } catch (e) {
          throw wrapDockerError(e, `cannot kill container: ${param(c)}`);
        }
        c.res.writeHead(204).end();
      },
    },
    {
      method: 'POST',
      pattern: /^\/containers\/([^/]+)\/wait$/,
      async handle(c) {
        const full = (await c.runtime.containers.inspect(param(c))).Id;
        const condition = c.url.searchParams.get('condition') || 'not-running';
        if (condition !== 'not-running' && condition !== 'next-exit' && condition !== 'removed')
          throw new DockerApiError(400, `invalid condition: "${condition}"`);
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
        const info = await c.runtime.containers.inspect(param(c));
        const tty = info.Config.Tty;
        const stdout = truthy(q.get('stdout'));
        const stderr = truthy(q.get('stderr'));
        if (!stdout && !stderr) throw new DockerApiError(400, 'you must choose at least one stream');
        const headers = { 'content-type': tty ? 'application/vnd.docker.raw-stream' : 'application/vnd.docker.multiplexed-stream', 'api-version': API_VERSION };
        await sendLogBytes(c.res, headers, (signal) =>
          c.runtime.containers.logStream(info.Id, {
            follow: truthy(q.get('follow')),
            tail: logTail(q.get('tail')),
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
        await c.runtime.containers.remove(param(c), { force: truthy(c.url.searchParams.get('force')), volumes: truthy(c.url.searchParams.get('v')) });
        c.res.writeHead(204).end();
      },
    },
    {
      method: 'GET',
      pattern: /^\/containers\/([^/]+)\/top$/,
      async handle(c) {
        const r = await c.runtime.containers.top(param(c), c.url.searchParams.get('ps_args') || undefined);
        sendJson(c.res, 200, { Titles: r.titles, Processes: r.processes });
      },
    },
    {
      method: 'GET',
      pattern: /^\/containers\/([^/]+)\/changes$/,
      async handle(c) {
        const changes = await c.runtime.containers.diff(param(c));
        sendJson(
          c.res,
          200,
          changes.map((ch) => ({ Path: ch.path, Kind: ch.kind })),
        );
      },
    },
    {
      method: 'POST',
      pattern: /^\/containers\/([^/]+)\/rename$/,
      async handle(c) {
        const name = c.url.searchParams.get('name');
        if (!name) throw new DockerApiError(400, 'name is required');
        await c.runtime.containers.rename(param(c), name.replace(/^\//, ''));
        c.res.writeHead(204).end();
      },
    },
    {
      method: 'POST',
      pattern: /^\/containers\/([^/]+)\/(pause|unpause)$/,
      async handle(c) {
        const state = await containerState(c.runtime, param(c));
        if (c.params[1] === 'pause') {
          requireRunning(state);
          requireNotPaused(state);
          await c.runtime.containers.pause(state.id);
        } else {
          requirePaused(state);
          await c.runtime.containers.unpause(state.id);
        }
        c.res.writeHead(204).end();
      },
    },
    {
      method: 'POST',
      pattern: /^\/containers\/prune$/,
      async handle({ res, url, runtime }) {
        const prune = pruneFilter(queryFilters(url), ['label', 'label!', 'until']);
        const before = new Map((await runtime.containers.diskUsage()).map((u) => [u.id, u.size]));
        let deleted: string[];
        if (prune.narrowed) {
          // filtered: the stopped containers that match, one by one
          const stopped = await runtime.containers.list({ all: true, filters: { status: ['exited', 'created', 'dead'] } });
          const chosen = stopped.filter((c) => prune.matches(c.labels, c.created));
          deleted = [];
          for (const c of chosen)
            await runtime.containers.remove(c.id).then(
              () => deleted.push(c.id),
              () => {},
            );
        } else ({ deleted } = await runtime.containers.prune());
        sendJson(res, 200, { ContainersDeleted: deleted, SpaceReclaimed: deleted.reduce((a, d) => a + (before.get(d) ?? 0), 0) });
      },
    },
  ];
}
