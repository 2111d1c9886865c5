import { formatDuration } from '../../spec/duration.js';
import type { HealthLogEntry, HealthState } from '../../types.js';
import type { StoredContainer } from '../store/container-store.js';
import type { ExecSession } from '../stdio/exec-session.js';
import type { HealthSchedule } from './health-config.js';
import { logFailure, logger } from '@skiff/logger';

const log = logger.child({ component: 'health' });

const MAX_LOG_ENTRIES = 5;
const MAX_OUTPUT_BYTES = 4096;

export interface HealthMonitorDeps {
  container: StoredContainer;
  schedule: HealthSchedule;
  /** starts the probe through the container's ordinary exec path */
  exec(argv: string[]): Promise<ExecSession>;
  /** persists the container's state (health included) */
  save(): Promise<void>;
  /** a status transition, for the `health_status: <status>` event */
  onStatus(status: HealthState['Status']): void;
}

/**
 * Runs one container's health check on its schedule and records each result in
 * `state.health` with dockerd's rules (handleProbeResult): a success makes the container
 * healthy and clears the streak; a failure counts towards `retries` unless the container
 * is still starting inside its start period; `retries` failures in a row make it
 * unhealthy. Probes never overlap: the next is scheduled when the previous is recorded.
 */
export class HealthMonitor {
  private timer?: NodeJS.Timeout;
  private probe?: ExecSession;
  private stopped = false;

  constructor(private readonly deps: HealthMonitorDeps) {
    // a container adopted from an older agent, or from before the check existed
    deps.container.state.health ??= { Status: 'starting', FailingStreak: 0, Log: [] };
  }

  start(): void {
    this.scheduleNext();
  }

  /** Ends the schedule and kills a probe in flight; a result that still lands is dropped. */
  stop(): void {
    this.stopped = true;
    clearTimeout(this.timer);
    void this.probe?.kill();
  }

  private get health(): HealthState {
    return this.deps.container.state.health!;
  }

  private scheduleNext(): void {
    if (this.stopped) return;
    this.timer = setTimeout(() => void this.tick(), this.nextDelayMs());
    this.timer.unref();
  }

  /** Docker probes at the start interval while starting inside the start period, else at the interval. */
  private nextDelayMs(): number {
    const s = this.deps.schedule;
    if (!s.startPeriodMs || this.health.Status !== 'starting') return s.intervalMs;
    return Date.now() - Date.parse(this.deps.container.state.startedAt) <= s.startPeriodMs ? s.startIntervalMs : s.intervalMs;
  }

  private async tick(): Promise<void> {
    // A frozen container cannot run the probe; it is not a failure of the service either.
    if (this.deps.container.state.status === 'running') {
      const result = await this.run();
      if (this.stopped) return;
      await this.record(result);
    }
    this.scheduleNext();
  }

  private async run(): Promise<HealthLogEntry> {
    const Start = new Date().toISOString();
    const { argv, timeoutMs } = this.deps.schedule;
    let session: ExecSession;
    try {
      session = await this.deps.exec(argv);
    } catch (e) {
      return { Start, End: new Date().toISOString(), ExitCode: -1, Output: (e as Error).message };
    }
    this.probe = session;
    const chunks: Buffer[] = [];
    let kept = 0;
    let truncated = false;
    const collect = (d: Buffer) => {
      const room = MAX_OUTPUT_BYTES - kept;
      if (room > 0) {
        chunks.push(d.subarray(0, room));
        kept += Math.min(room, d.length);
      }
      if (d.length > room) truncated = true;
    };
    session.on('stdout', collect);
    session.on('stderr', collect);
    let timedOut = false;
    const code = await new Promise<number>((resolve) => {
      const t = setTimeout(() => {
        timedOut = true;
        void session.kill();
      }, timeoutMs);
      session.once('exit', (c: number) => {
        clearTimeout(t);
        resolve(c);
      });
      session.once('error', () => {
        clearTimeout(t);
        resolve(-1);
      });
    });
    this.probe = undefined;
    const output = Buffer.concat(chunks).toString('utf8') + (truncated ? '...' : '');
    const End = new Date().toISOString();
    if (timedOut) {
      // dockerd's wording, so tooling that matches on it keeps working
      const limit = formatDuration(timeoutMs * 1e6);
      return { Start, End, ExitCode: -1, Output: output ? `Health check exceeded timeout (${limit}): ${output}` : `Health check exceeded timeout (${limit})` };
    }
    return { Start, End, ExitCode: code, Output: output };
  }

  private async record(result: HealthLogEntry): Promise<void> {
    const h = this.health;
    const before = h.Status;
    h.Log = [...h.Log, result].slice(-MAX_LOG_ENTRIES);
    if (result.ExitCode === 0) {
      h.FailingStreak = 0;
      h.Status = 'healthy';
    } else {
      const started = Date.parse(this.deps.container.state.startedAt);
      const inStartPeriod = h.Status === 'starting' && Date.parse(result.Start) - started < this.deps.schedule.startPeriodMs;
      if (!inStartPeriod) {
        h.FailingStreak++;
        if (h.FailingStreak >= this.deps.schedule.retries) h.Status = 'unhealthy';
      }
    }
    // debug: the container may be gone by now (removed while its probe ran)
    await this.deps.save().catch(logFailure(log, 'debug', 'saving a health result', { container: this.deps.container.record.id }));
    if (h.Status !== before) this.deps.onStatus(h.Status);
  }
}
