import { logger } from '@skiff/logger';

/** the container lifecycle's logger: lines carry `container` (the full id) and the error */
export const lifecycleLog = logger.child({ component: 'lifecycle' });

/**
 * Lifecycle problems the runtime works around but an operator should see (a state file
 * that could not be written on a full disk, a cgroup that would not go), at warn level.
 */
export function lifecycleWarn(what: string, containerId: string, err: unknown): void {
  lifecycleLog.warn(what, { container: containerId, err });
}
