import type { Runtime } from '@skiff/runtime';
import { logger } from '@skiff/logger';

const log = logger.child({ component: 'audit' });

type Input = Record<string, unknown> | undefined;
const str = (v: unknown): string | undefined => (typeof v === 'string' ? v : undefined);

/** "web-1 (3f2a1b4c5d6e)" for a container the call names by id or name; the input as given when there is none */
async function containerLabel(runtime: Runtime, idOrName: string): Promise<string> {
  try {
    const c = await runtime.containers.inspect(idOrName);
    return `${c.Name.replace(/^\//, '')} (${c.Id.slice(0, 12)})`;
  } catch (e) {
    // no such container (the call then fails and says so): the log keeps what was asked for
    log.debug('audit: naming a container', { idOrName, err: e });
    return idOrName;
  }
}

/** "frontnet (8c1d…)" likewise for a network */
function networkLabel(runtime: Runtime, idOrName: string): string {
  try {
    const n = runtime.networks.get(idOrName);
    return n.name === idOrName ? n.name : `${n.name} (${n.id.slice(0, 12)})`;
  } catch (e) {
    log.debug('audit: naming a network', { idOrName, err: e });
    return idOrName;
  }
}

/**
 * What an audit row names as the target of a mutation, read before the call runs (a
 * removed container has no name afterwards): containers and networks by name with a short
 * id rather than a 64-character id, a connect by its container and network; else the first
 * naming field of the input.
 */
export async function auditTarget(runtime: Runtime, path: string, input: Input): Promise<string | undefined> {
  const id = str(input?.id);
  if ((path === 'networks.connect' || path === 'networks.disconnect') && str(input?.container) && str(input?.network)) {
    const container = await containerLabel(runtime, str(input?.container)!);
    return `${container} ${path === 'networks.connect' ? 'to' : 'from'} network ${networkLabel(runtime, str(input?.network)!)}`;
  }
  if (id && path.startsWith('containers.') && path !== 'containers.create') return containerLabel(runtime, id);
  if (id && path === 'networks.remove') return networkLabel(runtime, id);
  // an app's changes name the app (an update's `image` is a setting, not the target)
  if (path.startsWith('apps.') && str(input?.name)) return str(input?.name);
  const spec = input?.spec as Input;
  return [
    id,
    input?.ref,
    input?.source,
    spec?.name,
    spec?.image,
    input?.image,
    input?.username,
    input?.registry,
    input?.name,
    input?.projectName,
    input?.run,
  ].find((v) => typeof v === 'string') as string | undefined;
}
