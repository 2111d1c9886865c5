import { logger } from '@skiff/logger';
import { Unavailable } from '@skiff/runtime';
import type { AppPorts, ProxyRoute } from './ports.js';

const log = logger.child({ component: 'apps' });

/**
 * The ports when the agent has no proxy, certificate store or git client wired in: routes
 * are only remembered (apps.get shows the upstreams), certificates are not asked for, and
 * git sources cannot be fetched. The daemon passes the real ones where it has them.
 */
export function unwiredPorts(): AppPorts {
  const routes = new Map<string, ProxyRoute[]>();
  return {
    routes: {
      setRoutes(owner, r) {
        routes.set(owner, r);
        log.info('routes recorded (no reverse proxy in this agent)', { app: owner, domains: r.map((x) => x.domain) });
      },
      deleteRoutes(owner) {
        routes.delete(owner);
      },
    },
    certs: { ensure: async () => undefined },
    git: {
      fetchSource: () => Promise.reject(new Unavailable('this agent has no git client: git sources cannot be deployed')),
    },
  };
}
