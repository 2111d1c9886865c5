import type { ContainerInspect } from '@skiff/docker-types';
import { SECRET_ENV_LABEL } from './context.js';

export const REDACTED = '********';

/**
 * An app container's inspect without its secrets' values: the container needs them in its
 * environment, but a caller below admin reading inspect (tRPC or the Docker API) must not
 * get them. The names stay, so a reader sees that the variable is set.
 */
export function redactSecretEnv(info: ContainerInspect): ContainerInspect {
  const names = info.Config?.Labels?.[SECRET_ENV_LABEL];
  if (!names || !info.Config?.Env) return info;
  const secret = new Set(names.split(','));
  const Env = info.Config.Env.map((e) => {
    const k = e.slice(0, Math.max(0, e.indexOf('=')));
    return secret.has(k) ? `${k}=${REDACTED}` : e;
  });
  return { ...info, Config: { ...info.Config, Env } };
}
