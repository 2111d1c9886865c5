import { loadProject } from '../src/index.js';
import type { ComposeProject, LoadOptions } from '../src/index.js';
import type { ServiceConfig } from '../src/model.js';

export const DIR = '/srv/notes';

/** one in-memory file at /srv/notes/docker-compose.yml (paths are resolved, never read) */
export function load(yaml: string, opts: Partial<LoadOptions> = {}): Promise<ComposeProject> {
  return loadProject({ files: [{ path: `${DIR}/docker-compose.yml`, content: yaml }], env: {}, ...opts });
}

/** what the loader gives a service that sets nothing but its name and image (fresh objects each call) */
export function serviceDefaults(): Omit<ServiceConfig, 'name' | 'image'> {
  return {
    environment: {},
    ports: [],
    volumes: [],
    networks: { default: { aliases: [] } },
    dependsOn: {},
    labels: {},
    replicas: 1,
    tty: false,
    stdinOpen: false,
    readOnly: false,
    capAdd: [],
    capDrop: [],
    extraHosts: [],
    dns: [],
    pullPolicy: 'missing',
    profiles: [],
  };
}

/** the message of the error the load fails with */
export async function loadError(yaml: string, opts: Partial<LoadOptions> = {}): Promise<string> {
  try {
    await load(yaml, opts);
  } catch (e) {
    return (e as Error).message;
  }
  throw new Error('expected the load to fail');
}

/** a "billion laughs": nine levels of nine aliases, 9^9 nodes once expanded */
export function billionLaughs(): string {
  let text = 'x-a: &a ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]\n';
  let prev = 'a';
  for (const n of ['b', 'c', 'd', 'e', 'f', 'g', 'h', 'i']) {
    text += `x-${n}: &${n} [${Array(9).fill(`*${prev}`).join(',')}]\n`;
    prev = n;
  }
  return `${text}services:\n  web:\n    image: busybox\n`;
}
