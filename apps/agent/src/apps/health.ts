import { request } from 'node:http';
import { connect } from 'node:net';
import type { Runtime } from '@skiff/runtime';
import { abortable, sleep } from './wait.js';

/** How a new container is judged ready: an HTTP path, a command in it, or its port answering. */
export interface HealthPlan {
  port: number;
  path?: string;
  command?: string[];
  interval: number;
  timeout: number;
  retries: number;
}

/**
 * Waits until the container answers, or throws with the last reason. A container that
 * exits fails at once; so does a HEALTHCHECK of its image that reports unhealthy.
 */
export async function waitHealthy(runtime: Runtime, id: string, plan: HealthPlan, signal: AbortSignal, note: (s: string) => void): Promise<string> {
  let last = 'no answer yet';
  for (let attempt = 1; attempt <= plan.retries; attempt++) {
    signal.throwIfAborted();
    const c = await runtime.containers.inspect(id);
    if (!c.State?.Running) throw new Error(`container exited (code ${c.State?.ExitCode ?? '?'}) before it was healthy`);
    if (c.State.Health?.Status === 'unhealthy') throw new Error('the image\'s HEALTHCHECK reports "unhealthy"');
    const ip = firstIp(c);
    if (!ip) last = 'the container has no address';
    else {
      const r = await probe(runtime, id, ip, plan, signal).catch((e: Error) => ({ ok: false, why: e.message }));
      // an image HEALTHCHECK, when there is one, must agree too
      const imageCheck = c.State.Health?.Status;
      if (r.ok && (!imageCheck || imageCheck === 'healthy' || plan.path || plan.command)) return ip;
      last = r.ok ? `the image's HEALTHCHECK says "${imageCheck}"` : r.why;
    }
    if (attempt % 5 === 1) note(`waiting for ${id.slice(0, 12)}: ${last}`);
    await sleep(plan.interval * 1000, signal);
  }
  throw new Error(`not healthy after ${plan.retries} checks: ${last}`);
}

/** the container's address on its first network */
export function firstIp(c: { NetworkSettings?: { Networks?: Record<string, { IPAddress?: string }> | null } | null }): string | undefined {
  for (const n of Object.values(c.NetworkSettings?.Networks ?? {})) if (n.IPAddress) return n.IPAddress;
  return undefined;
}

async function probe(runtime: Runtime, id: string, ip: string, plan: HealthPlan, signal: AbortSignal): Promise<{ ok: boolean; why: string }> {
  if (plan.command) return execCheck(runtime, id, plan.command, plan.timeout, signal);
  if (plan.path) return httpCheck(ip, plan.port, plan.path, plan.timeout, signal);
  return tcpCheck(ip, plan.port, plan.timeout, signal);
}

function httpCheck(host: string, port: number, path: string, timeout: number, signal: AbortSignal): Promise<{ ok: boolean; why: string }> {
  return abortable(
    new Promise((resolve) => {
      const req = request({ host, port, path, method: 'GET', timeout: timeout * 1000, agent: false, headers: { 'user-agent': 'skiff-health' } }, (res) => {
        res.resume();
        const code = res.statusCode ?? 0;
        resolve(code >= 200 && code < 400 ? { ok: true, why: '' } : { ok: false, why: `GET ${path} answered ${code}` });
      });
      req.once('timeout', () => req.destroy(new Error(`GET ${path} timed out after ${timeout}s`)));
      req.once('error', (e) => resolve({ ok: false, why: `GET ${path}: ${e.message}` }));
      req.end();
    }),
    signal,
  );
}

function tcpCheck(host: string, port: number, timeout: number, signal: AbortSignal): Promise<{ ok: boolean; why: string }> {
  return abortable(
    new Promise((resolve) => {
      const s = connect({ host, port, timeout: timeout * 1000 });
      s.once('connect', () => {
        s.destroy();
        resolve({ ok: true, why: '' });
      });
      s.once('timeout', () => {
        s.destroy();
        resolve({ ok: false, why: `port ${port} timed out` });
      });
      s.once('error', (e) => resolve({ ok: false, why: `port ${port}: ${e.message}` }));
    }),
    signal,
  );
}

async function execCheck(runtime: Runtime, id: string, cmd: string[], timeout: number, signal: AbortSignal): Promise<{ ok: boolean; why: string }> {
  const session = await runtime.containers.exec(id, { cmd });
  session.on('stdout', () => undefined).on('stderr', () => undefined);
  const code = await abortable(
    new Promise<number>((resolve, reject) => {
      const t = setTimeout(() => {
        void session.kill?.();
        reject(new Error(`health command timed out after ${timeout}s`));
      }, timeout * 1000);
      session.on('exit', (c) => {
        clearTimeout(t);
        resolve(c);
      });
      session.on('error', (e) => {
        clearTimeout(t);
        reject(e);
      });
    }),
    signal,
  );
  return code === 0 ? { ok: true, why: '' } : { ok: false, why: `health command exited ${code}` };
}
