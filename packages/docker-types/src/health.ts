/**
 * Health checks (moby api/types/container/health.go, config.go). The image's `Healthcheck`
 * and inspect's `Config.Healthcheck` share HealthConfig; inspect's `State.Health` is Health.
 */

/**
 * Test: ['CMD', argv...] | ['CMD-SHELL', command] | ['NONE'] (disabled) | [] (inherit).
 * Durations are nanoseconds; 0 or absent means "inherit, else the default".
 */
export interface HealthConfig {
  Test?: string[];
  Interval?: number;
  Timeout?: number;
  StartPeriod?: number;
  StartInterval?: number;
  Retries?: number;
}

export type HealthStatus = 'starting' | 'healthy' | 'unhealthy';

/** inspect `State.Health` */
export interface Health {
  Status: HealthStatus;
  FailingStreak: number;
  /** the last 5 probes, oldest first */
  Log: HealthcheckResult[];
}

/** one probe of a health check */
export interface HealthcheckResult {
  Start: string; // RFC3339Nano
  End: string;
  /** 0 healthy, anything else a failure; -1 when the probe timed out or could not run */
  ExitCode: number;
  /** stdout and stderr together, at most 4096 bytes (then "...") */
  Output: string;
}
