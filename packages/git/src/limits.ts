/** How much one fetch may take. Defaults fit an application repository, not a monorepo of assets. */
export interface GitLimits {
  /** wall time of the whole operation */
  timeoutMs: number;
  /** bytes written under .git while fetching (the packs) */
  maxFetchBytes: number;
  /** sum of the blob sizes of the checked-out tree, checked before checkout */
  maxCheckoutBytes: number;
  /** entries in the checked-out tree */
  maxFiles: number;
}

export const DEFAULT_LIMITS: GitLimits = {
  timeoutMs: 10 * 60_000,
  maxFetchBytes: 1024 ** 3,
  maxCheckoutBytes: 2 * 1024 ** 3,
  maxFiles: 200_000,
};

/** a timeout joined with the caller's signal */
export function operationSignal(timeoutMs: number, signal?: AbortSignal): AbortSignal {
  const t = AbortSignal.timeout(timeoutMs);
  return signal ? AbortSignal.any([signal, t]) : t;
}
