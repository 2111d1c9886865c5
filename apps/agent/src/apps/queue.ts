/**
 * Deploys of one app run one at a time, in the order asked (different apps in parallel).
 * Each job has an AbortController, so a queued or running deploy can be cancelled by id.
 */
export class DeployQueue {
  private readonly tails = new Map<string, Promise<void>>();
  private readonly controllers = new Map<string, AbortController>();

  /** runs `job` after the app's earlier jobs; the returned promise settles with the job */
  enqueue(app: string, jobId: string, job: (signal: AbortSignal) => Promise<void>): Promise<void> {
    const controller = new AbortController();
    this.controllers.set(jobId, controller);
    const previous = this.tails.get(app) ?? Promise.resolve();
    const run = previous.then(() => job(controller.signal));
    // the chain goes on after a failed job: its failure is the job's own to record
    const tail = run.then(
      () => undefined,
      () => undefined,
    );
    this.tails.set(app, tail);
    void tail.then(() => {
      this.controllers.delete(jobId);
      if (this.tails.get(app) === tail) this.tails.delete(app);
    });
    return run;
  }

  /** aborts a queued or running job; false when there is none of that id */
  cancel(jobId: string, reason: string): boolean {
    const c = this.controllers.get(jobId);
    if (!c) return false;
    c.abort(new Error(reason));
    return true;
  }

  /** settles when the app's jobs queued so far have ended */
  settled(app: string): Promise<void> {
    return this.tails.get(app) ?? Promise.resolve();
  }

  /** whether the app has a job queued or running */
  busy(app: string): boolean {
    return this.tails.has(app);
  }

  /** aborts everything (the agent stops) and waits for the jobs to unwind */
  async close(reason: string): Promise<void> {
    for (const c of this.controllers.values()) c.abort(new Error(reason));
    await Promise.all(this.tails.values());
  }
}
