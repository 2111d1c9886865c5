import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { freePort, sweepRuntimeLeftovers } from '@skiff/test-fixtures';

export const SKIFF = resolve(import.meta.dirname, '../../../skiff');

/** A real `skiff daemon` child process on a temp root, socket and loopback port. */
export class AgentHarness {
  daemon?: ChildProcess;
  private constructor(
    readonly dir: string,
    readonly socket: string,
    readonly port: number,
    readonly insecure: string[],
  ) {}

  static ADMIN_PASSWORD = 'admin-pass-for-tests';
  /** what the agent printed (the setup link, when started without an admin password) */
  output = '';

  static async create(insecure: string[], opts: { adminPassword?: string | null; env?: Record<string, string> } = {}): Promise<AgentHarness> {
    const dir = await mkdtemp(join(tmpdir(), 'skiff-agent-'));
    const h = new AgentHarness(dir, join(dir, 's.sock'), await freePort(), insecure);
    h.adminPassword = opts.adminPassword === null ? undefined : (opts.adminPassword ?? AgentHarness.ADMIN_PASSWORD);
    h.extraEnv = opts.env ?? {};
    try {
      await h.start();
    } catch (e) {
      // an agent that failed to come up may already have made its bridge and nft table
      await h.dispose();
      throw e;
    }
    return h;
  }

  adminPassword?: string;
  extraEnv: Record<string, string> = {};

  /** the agent's Docker Engine API socket (DOCKER_HOST=unix://…) */
  get dockerSocket(): string {
    return join(this.dir, 'docker.sock');
  }

  get url(): string {
    return `http://127.0.0.1:${this.port}`;
  }

  /** an API token of the admin user with the given scope, made over the trusted socket */
  token(scope: 'read' | 'operate' | 'admin', user = 'admin'): string {
    const r = this.cli(['token', 'create', '--scope', scope, '--user', user, `t-${scope}-${randomBytes(2).toString('hex')}`]);
    if (r.code !== 0) throw new Error(`token create failed: ${r.stderr}`);
    return r.stdout.trim();
  }

  get env(): NodeJS.ProcessEnv {
    return { ...process.env, SKIFF_HOST: `unix://${this.socket}` };
  }

  /** the test agent's own bridge, nft table and cgroup parent, so a real agent on this host is never touched */
  readonly bridge = `ska${randomBytes(3).toString('hex')}`;
  readonly nftTable = `skiff_a${randomBytes(3).toString('hex')}`;
  private readonly ownCgroupParent = `skiff-a${randomBytes(3).toString('hex')}`;

  /** the caller's SKIFF_CGROUP_PARENT (a bench measuring its cgroups) wins over the harness's own */
  get cgroupParent(): string {
    return this.extraEnv.SKIFF_CGROUP_PARENT ?? this.ownCgroupParent;
  }

  /** the agent's state: `containers/<id>/` holds each container's shim.pid and init.pid */
  get root(): string {
    return join(this.dir, 'root');
  }

  async start(): Promise<void> {
    const args = [
      'daemon',
      '--root',
      this.root,
      '--socket',
      this.socket,
      '--docker-socket',
      this.dockerSocket,
      '--http',
      `127.0.0.1:${this.port}`,
      ...this.insecure.flatMap((r) => ['--insecure-registry', r]),
    ];
    const env: NodeJS.ProcessEnv = {
      ...process.env,
      SKIFF_BRIDGE: this.bridge,
      SKIFF_NFT_TABLE: this.nftTable,
      SKIFF_CGROUP_PARENT: this.cgroupParent,
      // the apps' proxy is off unless a test asks for it on a free port: test agents run side by side, :80 is one
      SKIFF_PROXY_HTTP: 'off',
      SKIFF_PROXY_HTTPS: 'off',
      ...this.extraEnv,
    };
    if (this.adminPassword) env.SKIFF_ADMIN_PASSWORD = this.adminPassword;
    else delete env.SKIFF_ADMIN_PASSWORD;
    const d = spawn(SKIFF, args, { stdio: ['ignore', 'pipe', 'pipe'], env });
    this.daemon = d;
    let out = '';
    await new Promise<void>((ok, fail) => {
      const timer = setTimeout(() => fail(new Error(`agent did not start: ${out}`)), 30_000);
      const onData = (b: Buffer) => {
        out += b.toString();
        this.output += b.toString();
        if (out.includes('ready')) {
          clearTimeout(timer);
          ok();
        }
      };
      d.stdout!.on('data', onData);
      d.stderr!.on('data', onData);
      d.once('exit', (code) => {
        clearTimeout(timer);
        fail(new Error(`agent exited (${code}): ${out}`));
      });
    });
  }

  /** a killed process has a signalCode and a null exitCode */
  get running(): boolean {
    return !!this.daemon && this.daemon.exitCode === null && this.daemon.signalCode === null;
  }

  /** SIGKILL, like an OOM-killed or crashed agent */
  async kill(): Promise<void> {
    const d = this.daemon;
    if (!d || !this.running) return;
    const exited = new Promise((r) => d.once('exit', r));
    d.kill('SIGKILL');
    await exited;
  }

  cli(args: string[], opts: { input?: string; env?: Record<string, string> } = {}): { code: number; stdout: string; stderr: string } {
    const r = spawnSync(SKIFF, args, { env: { ...this.env, ...opts.env }, input: opts.input ?? '', encoding: 'utf8', timeout: 60_000 });
    return { code: r.status ?? -1, stdout: r.stdout, stderr: r.stderr };
  }

  /** like cli() but without blocking this process (needed when this process serves something the agent calls) */
  cliAsync(args: string[], opts: { input?: string } = {}): Promise<{ code: number; stdout: string; stderr: string }> {
    return new Promise((resolve) => {
      const child = spawn(SKIFF, args, { env: this.env });
      let stdout = '';
      let stderr = '';
      child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
      child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
      child.on('close', (code) => resolve({ code: code ?? -1, stdout, stderr }));
      child.stdin.end(opts.input ?? '');
    });
  }

  /**
   * Removes the containers through the agent while it runs, then kills it; the sweep after
   * removes what a crashed agent could not (shims, netns, cgroups, mounts), and the bridge
   * and nft table.
   */
  async dispose(): Promise<void> {
    try {
      if (this.running) {
        const ids = this.cli(['ps', '-aq']).stdout.split('\n').filter(Boolean);
        if (ids.length) this.cli(['rm', '-f', ...ids]);
      }
      const nets = this.running ? this.cli(['network', 'ls', '-q']).stdout.split('\n').filter(Boolean) : [];
      for (const n of nets) this.cli(['network', 'rm', n]);
    } finally {
      await this.kill();
      await sweepRuntimeLeftovers({ root: this.root, bridge: this.bridge, nftTable: this.nftTable, cgroupParent: this.cgroupParent });
      // a process of the agent still exiting can create a file while the tree goes (ENOTEMPTY): rm retries that
      await rm(this.dir, { recursive: true, force: true, maxRetries: 10, retryDelay: 100 });
    }
  }
}
