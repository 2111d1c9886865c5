/**
 * Which cached queries a change makes stale. Queries are keyed by their tRPC path
 * (`[['containers', 'list'], { input, type }]`), so a path prefix here matches every input
 * of those procedures. Two sources of change: the runtime's event stream (anything done from
 * anywhere: this tab, another tab, the CLI, a restart policy) and this tab's own mutations
 * (for changes that have no runtime event: users, tokens, stored stacks, the audit log).
 */
export type QueryPath = readonly string[];
export type RuntimeEventType = 'container' | 'image' | 'volume' | 'network';

const BY_EVENT: Record<RuntimeEventType, QueryPath[]> = {
  // a container's state shows in stack states, network endpoint counts and volume users
  container: [
    ['containers', 'list'],
    ['containers', 'inspect'],
    ['stacks', 'list'],
    ['stacks', 'get'],
    ['networks', 'list'],
    ['networks', 'inspect'],
    ['volumes', 'list'],
    ['system', 'info'],
    ['system', 'df'],
  ],
  image: [
    ['images', 'list'],
    ['images', 'inspect'],
    ['system', 'info'],
    ['system', 'df'],
  ],
  volume: [
    ['volumes', 'list'],
    ['system', 'df'],
  ],
  // connect/disconnect change the container's own network list too
  network: [
    ['networks', 'list'],
    ['networks', 'inspect'],
    ['containers', 'list'],
    ['containers', 'inspect'],
  ],
};

/**
 * A change made through the API from elsewhere (the CLI, another tab, a script with a token)
 * is in the audit log too; its runtime event is how this tab hears of it. (A restart policy's
 * event refetches the log for nothing: only an open audit page refetches.)
 */
const AUDITED: QueryPath = ['audit'];

const EVENT_TYPES = Object.keys(BY_EVENT) as RuntimeEventType[];

export const isRuntimeEventType = (t: string): t is RuntimeEventType => (EVENT_TYPES as string[]).includes(t);

/** the lists a batch of runtime events makes stale, each once */
export function pathsForEvents(types: Iterable<RuntimeEventType>): QueryPath[] {
  const unique = [...new Set(types)];
  return unique.length ? dedupe([...unique.flatMap((t) => BY_EVENT[t]), AUDITED]) : [];
}

/** a router's mutations change what these event types cover (their events may land later, or not reach a closed stream) */
const MUTATION_EVENTS: Record<string, RuntimeEventType[]> = {
  containers: ['container'],
  images: ['image'],
  volumes: ['volume'],
  networks: ['network'],
  stacks: ['container', 'network', 'volume'],
  templates: ['container', 'network', 'volume'],
  system: ['container', 'image', 'volume', 'network'],
};

/** changes no runtime event reports: the router's own lists */
const MUTATION_OWN: Record<string, QueryPath[]> = {
  containers: [['system', 'df']],
  images: [['system', 'df']],
  volumes: [['system', 'df']],
  stacks: [['stacks']],
  templates: [['templates']],
  users: [['users']],
  tokens: [['tokens']],
  registries: [['registries']],
  system: [['system', 'df']],
};

/**
 * What a mutation at `path` ("containers.start") makes stale. Every mutation is in the
 * audit log. Signing in changes who is asking: everything starts over ('all'); signing out
 * leaves for the login page, which clears the cache itself.
 */
export function pathsForMutation(path: string): QueryPath[] | 'all' {
  const [router = '', proc = ''] = path.split('.');
  if (path === 'auth.login' || path === 'auth.setup') return 'all';
  if (router === 'auth') return [];
  const paths: QueryPath[] = [['audit'], ...(MUTATION_OWN[router] ?? []), ...pathsForEvents(MUTATION_EVENTS[router] ?? [])];
  // a commit makes an image
  if (path === 'containers.commit') paths.push(...BY_EVENT.image);
  return proc ? dedupe(paths) : [];
}

function dedupe(paths: QueryPath[]): QueryPath[] {
  const seen = new Map(paths.map((p) => [p.join('.'), p]));
  // a prefix already covers its longer paths
  return [...seen.values()].filter((p) => ![...seen.values()].some((q) => q.length < p.length && q.every((s, i) => p[i] === s)));
}

/** the query-key filter for a path (tRPC's keys start with the path as an array) */
export const queryKeyOf = (path: QueryPath) => [path] as const;
