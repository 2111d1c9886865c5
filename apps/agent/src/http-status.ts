import type { SkiffErrorCode } from '@skiff/runtime';

/** The HTTP status of each runtime error, for the agent's plain-HTTP APIs (/api/…, the Docker API) */
export const HTTP_STATUS: Record<SkiffErrorCode, number> = {
  NOT_FOUND: 404,
  CONFLICT: 409,
  INVALID_ARGUMENT: 400,
  UNAUTHORIZED: 401,
  FORBIDDEN: 403,
  UNAVAILABLE: 503,
  INTERNAL: 500,
};
