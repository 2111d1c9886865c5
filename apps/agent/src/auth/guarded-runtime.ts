import type { BuildOptions, ContainerCreateSpec, ExecSpec, Runtime } from '@skiff/runtime';
import { allows, type Principal } from './principal.js';
import { assertHostAccess, type BindPolicy } from './host-access.js';
import { redactSecretEnv } from '../apps/redact.js';

/** the host-level parts of a create spec: its bind sources (with those --volumes-from brings), caps, network */
async function specRequest(runtime: Runtime, spec: ContainerCreateSpec) {
  const binds = (spec.mounts ?? []).filter((m) => m.type === 'bind').map((m) => ({ source: m.source ?? '', readOnly: !!m.readOnly }));
  for (const entry of spec.volumesFrom ?? []) {
    const [ref, mode] = entry.split(':');
    // an unknown source is the runtime's error to report; it has no binds to check here
    const info = await runtime.containers.inspect(ref!).catch(() => undefined);
    for (const m of info?.Mounts ?? []) if (m.Type === 'bind') binds.push({ source: m.Source, readOnly: mode === 'ro' || (mode !== 'rw' && !m.RW) });
  }
  return { binds, capAdd: spec.capAdd, network: spec.network, ulimits: spec.ulimits };
}

/**
 * The runtime as a caller below admin may use it: container create/run, exec and build are
 * checked by assertHostAccess before they reach the runtime; inspect hides app secrets
 * (apps/redact.ts); everything else passes through.
 * Admins (and the root socket) get the runtime itself.
 */
export function guardedRuntime(runtime: Runtime, p: Principal, policy: () => Promise<BindPolicy>): Runtime {
  if (allows(p, 'admin')) return runtime;
  const containers = runtime.containers;
  const guardedContainers = new Proxy(containers, {
    get(target, prop) {
      if (prop === 'create')
        return async (spec: ContainerCreateSpec) => {
          await assertHostAccess(p, await specRequest(runtime, spec), policy);
          return target.create(spec);
        };
      if (prop === 'run')
        return async (spec: ContainerCreateSpec, opts?: { attach?: boolean }) => {
          await assertHostAccess(p, await specRequest(runtime, spec), policy);
          return target.run(spec, opts);
        };
      // an app's secrets are in its containers' environment, never in what inspect shows them
      if (prop === 'inspect') return async (id: string) => redactSecretEnv(await target.inspect(id));
      if (prop === 'exec')
        return async (id: string, spec: ExecSpec) => {
          await assertHostAccess(p, { privileged: spec.privileged }, policy);
          return target.exec(id, spec);
        };
      const v: unknown = Reflect.get(target, prop, target);
      return typeof v === 'function' ? (v as (...a: unknown[]) => unknown).bind(target) : v;
    },
  });
  return new Proxy(runtime, {
    get(target, prop) {
      if (prop === 'containers') return guardedContainers;
      if (prop === 'build')
        return async (opts: BuildOptions) => {
          await assertHostAccess(p, { buildNetwork: opts.network }, policy);
          return target.build(opts);
        };
      if (prop === 'buildFromArchive')
        return async (context: Parameters<Runtime['buildFromArchive']>[0], opts: Parameters<Runtime['buildFromArchive']>[1]) => {
          await assertHostAccess(p, { buildNetwork: opts.network }, policy);
          return target.buildFromArchive(context, opts);
        };
      const v: unknown = Reflect.get(target, prop, target);
      return typeof v === 'function' ? (v as (...a: unknown[]) => unknown).bind(target) : v;
    },
  });
}
