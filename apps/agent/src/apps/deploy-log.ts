/** A deployment's log: lines kept in memory up to a cap, written to its row as it goes. */
export const LOG_CAP = 256 * 1024;

export class DeployLog {
  private text = '';
  private truncated = false;
  private dirty = false;
  private timer?: NodeJS.Timeout;

  constructor(
    private readonly save: (text: string) => Promise<void>,
    private readonly flushMs = 500,
  ) {}

  line(s: string): void {
    this.append(s.endsWith('\n') ? s : `${s}\n`);
  }

  /** raw output (a build step's): kept as written */
  append(s: string): void {
    if (this.truncated) return;
    if (this.text.length + s.length > LOG_CAP) {
      // the head is kept: where a build went wrong is usually before the flood
      this.text += `${s.slice(0, Math.max(0, LOG_CAP - this.text.length))}\n[log truncated at ${LOG_CAP} bytes]\n`;
      this.truncated = true;
    } else this.text += s;
    this.dirty = true;
    this.timer ??= setTimeout(() => void this.flush(), this.flushMs);
  }

  get value(): string {
    return this.text;
  }

  async flush(): Promise<void> {
    clearTimeout(this.timer);
    this.timer = undefined;
    if (!this.dirty) return;
    this.dirty = false;
    await this.save(this.text);
  }
}
