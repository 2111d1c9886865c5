import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort, sweepRuntimeLeftovers } from '@skiff/test-fixtures';
import type { AppPorts } from '../../src/apps/ports.js';
import { startDaemon, type RunningDaemon } from '../../src/daemon/server.js';
import { SKIFF } from '../agent-harness.js';

/**
 * A real agent (startDaemon) in the test's own process, so the test can hand it its own
 * route table and git fetcher (the ports other packages fill in production). CLI calls must
 * not block this process: cli() spawns without waiting synchronously.
 */
export class InProcessAgent {
  daemon?: RunningDaemon;
  private constructor(
    readonly dir: string,
    readonly port: number,
    /** the Docker API on TCP (API tokens only) */
    readonly dockerPort: number,
  ) {}
  static readonly ADMIN_PASSWORD = 'admin-pass-for-apps';
  readonly bridge = `skp${randomBytes(3).toString('hex')}`;
  readonly nftTable = `skiff_p${randomBytes(3).toString('hex')}`;
  readonly cgroupParent = `skiff-p${randomBytes(3).toString('hex')}`;

  static async create(): Promise<InProcessAgent> {
    return new InProcessAgent(await mkdtemp(join(tmpdir(), 'skiff-apps-')), await freePort(), await freePort());
  }

  get root(): string {
    return join(this.dir, 'root');
  }
  get socket(): string {
    return join(this.dir, 's.sock');
  }
  get url(): string {
    return `http://127.0.0.1:${this.port}`;
  }

  async start(parts: Partial<AppPorts>, insecure: string[]): Promise<void> {
    process.env.SKIFF_ADMIN_PASSWORD = InProcessAgent.ADMIN_PASSWORD;
    this.daemon = await startDaemon(
      {
        root: this.root,
        socket: this.socket,
        http: { host: '127.0.0.1', port: this.port },
        dockerTcp: { host: '127.0.0.1', port: this.dockerPort },
        insecureRegistries: insecure,
        bridge: this.bridge,
        nftTable: this.nftTable,
        cgroupParent: this.cgroupParent,
        logLevel: 'warn',
        action: 'serve',
        force: false,
      },
      parts,
    );
  }

  async stop(): Promise<void> {
    await this.daemon?.close();
    this.daemon = undefined;
  }

  cli(args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
    return new Promise((resolve) => {
      const child = spawn(SKIFF, args, { env: { ...process.env, SKIFF_HOST: `unix://${this.socket}` } });
      let stdout = '';
      let stderr = '';
      child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
      child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
      child.on('close', (code) => resolve({ code: code ?? -1, stdout, stderr }));
      child.stdin.end();
    });
  }

  /** every container removed, the agent stopped, its host objects swept and its files gone */
  async dispose(): Promise<void> {
    try {
      if (this.daemon) {
        const all = await this.daemon.runtime.containers.list({ all: true });
        for (const c of all) await this.daemon.runtime.containers.remove(c.id, { force: true }).catch(() => undefined);
        await this.stop();
      }
    } finally {
      await sweepRuntimeLeftovers({ root: this.root, bridge: this.bridge, nftTable: this.nftTable, cgroupParent: this.cgroupParent });
      await rm(this.dir, { recursive: true, force: true, maxRetries: 10, retryDelay: 100 });
    }
  }
}
