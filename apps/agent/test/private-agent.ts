import { randomBytes } from 'node:crypto';
import { readdirSync, readFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { request } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort, sweepRuntimeLeftovers } from '@skiff/test-fixtures';

/**
 * The environment of an agent started by something other than the harness (start.sh, a
 * bare `skiff daemon --log-file`): its own root, sockets, port, bridge, nft table and
 * cgroup parent, all through SKIFF_* variables, and a sweep that finds the agent by them.
 */
export class PrivateAgent {
  private constructor(
    readonly dir: string,
    readonly port: number,
  ) {}

  static async create(): Promise<PrivateAgent> {
    return new PrivateAgent(await mkdtemp(join(tmpdir(), 'skiff-priv-')), await freePort());
  }

  private readonly tag = randomBytes(3).toString('hex');
  readonly bridge = `skp${this.tag}`;
  readonly nftTable = `skiff_p${this.tag}`;
  readonly cgroupParent = `skiff-p${this.tag}`;

  get root(): string {
    return join(this.dir, 'root');
  }

  get socket(): string {
    return join(this.dir, 'run', 's.sock');
  }

  get env(): NodeJS.ProcessEnv {
    const env: NodeJS.ProcessEnv = {
      ...process.env,
      SKIFF_ROOT: this.root,
      SKIFF_SOCKET: this.socket,
      SKIFF_HOST: `unix://${this.socket}`,
      SKIFF_HTTP: `127.0.0.1:${this.port}`,
      SKIFF_DOCKER_SOCKET: join(this.dir, 'run', 'd.sock'),
      SKIFF_BRIDGE: this.bridge,
      SKIFF_NFT_TABLE: this.nftTable,
      SKIFF_CGROUP_PARENT: this.cgroupParent,
      SKIFF_PROXY_HTTP: 'off',
      SKIFF_PROXY_HTTPS: 'off',
    };
    delete env.SKIFF_ADMIN_PASSWORD;
    return env;
  }

  /** GET a path on the agent's unix socket */
  get(path: string, method = 'GET'): Promise<{ status: number; body: string }> {
    return new Promise((resolve, reject) => {
      const req = request({ socketPath: this.socket, path, method }, (res) => {
        let body = '';
        res.on('data', (d: Buffer) => (body += d.toString()));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
      });
      req.on('error', reject);
      req.end();
    });
  }

  /** until /readyz answers 200 on the socket */
  async waitReady(timeoutMs = 60_000): Promise<void> {
    const until = Date.now() + timeoutMs;
    for (;;) {
      const r = await this.get('/readyz').catch((e: Error) => ({ status: 0, body: e.message }));
      if (r.status === 200) return;
      if (Date.now() > until) throw new Error(`the agent on ${this.socket} is not ready: ${r.status} ${r.body}`);
      await new Promise((res) => setTimeout(res, 200));
    }
  }

  /** the pids of `skiff daemon` processes started with this agent's root */
  pids(): number[] {
    const mark = `SKIFF_ROOT=${this.root}\0`;
    const out: number[] = [];
    for (const name of readdirSync('/proc')) {
      if (!/^\d+$/.test(name)) continue;
      try {
        const cmd = readFileSync(`/proc/${name}/cmdline`, 'utf8');
        if (cmd.includes('\0daemon') && readFileSync(`/proc/${name}/environ`, 'utf8').includes(mark)) out.push(Number(name));
      } catch (e) {
        if ((e as NodeJS.ErrnoException).code !== 'ENOENT' && (e as NodeJS.ErrnoException).code !== 'ESRCH') throw e;
      }
    }
    return out;
  }

  /** SIGKILLs the agent (found by its root), then sweeps what it left and removes the directory */
  async dispose(): Promise<void> {
    for (const pid of this.pids()) {
      try {
        process.kill(pid, 'SIGKILL');
      } catch (e) {
        if ((e as NodeJS.ErrnoException).code !== 'ESRCH') throw e;
      }
    }
    for (let i = 0; i < 50 && this.pids().length; i++) await new Promise((r) => setTimeout(r, 100));
    await sweepRuntimeLeftovers({ root: this.root, bridge: this.bridge, nftTable: this.nftTable, cgroupParent: this.cgroupParent });
    // a process of the agent still exiting can create a file while the tree goes (ENOTEMPTY): rm retries that
    await rm(this.dir, { recursive: true, force: true, maxRetries: 10, retryDelay: 100 });
  }
}
