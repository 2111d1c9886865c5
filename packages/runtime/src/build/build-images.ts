/** The images one running build made and used. */
export interface BuildImages {
  /** images this build created (not cache hits), oldest first */
  readonly made: string[];
  /** every image this build made, looked up in its cache or built on */
  readonly used: Set<string>;
}

/**
 * The images of the builds running now. A cancelled build removes the images it made
 * (the rule: a cancel leaves no intermediate images), except those another running
 * build looked up or built on, which that build may be about to run a step in.
 */
export class RunningBuilds {
  private readonly running = new Set<BuildImages>();

  begin(): BuildImages {
    const b: BuildImages = { made: [], used: new Set() };
    this.running.add(b);
    return b;
  }

  end(b: BuildImages): void {
    this.running.delete(b);
  }

  /** does a running build other than `b` rely on `id`? */
  usedByOthers(b: BuildImages, id: string): boolean {
    for (const other of this.running) if (other !== b && other.used.has(id)) return true;
    return false;
  }
}
