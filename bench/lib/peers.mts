/**
 * The peer tools benches compare against, installed from Debian when missing, and podman
 * configured to work on this host: its own throw-away storage, cgroupfs (no systemd),
 * runc (crun refuses cgroup v1+v2 hybrid hosts), and explicit ulimits because podman's
 * defaults (nofile 1048576, nproc 32768) fail with EPERM here: the agent lacks
 * CAP_SYS_RESOURCE, so runc cannot raise limits above what conmon inherited.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/** installs the Debian packages whose commands are missing ({command: package}) */
export function ensureDebian(commands: Record<string, string>): void {
  const missing = Object.entries(commands)
    .filter(([cmd]) => spawnSync('which', [cmd]).status !== 0)
    .map(([, pkg]) => pkg);
  if (!missing.length) return;
  const env = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' };
  execFileSync('apt-get', ['-o', 'DPkg::Lock::Timeout=600', 'update', '-qq'], { env, stdio: 'inherit' });
  execFileSync('apt-get', ['-o', 'DPkg::Lock::Timeout=600', 'install', '-y', '-qq', ...new Set(missing)], { env, stdio: 'inherit' });
}

export interface Podman {
  /** argv prefix: podman with this bench's storage and host settings */
  readonly argv: string[];
  /** flags for `podman run` that work on this host */
  readonly runFlags: string[];
  run(args: string[], opts?: { input?: string }): string;
  /** removes every container and the storage */
  dispose(): void;
}

export function podman(): Podman {
  // podman's package pulls in crun, not the runc it is configured with here
  ensureDebian({ podman: 'podman', runc: 'runc' });
  const dir = mkdtempSync(join(tmpdir(), 'skiff-bench-podman-'));
  const argv = [
    'podman',
    '--root',
    join(dir, 'root'),
    '--runroot',
    join(dir, 'run'),
    '--cgroup-manager',
    'cgroupfs',
    '--events-backend',
    'file',
    '--runtime',
    'runc',
  ];
  const run = (args: string[], opts: { input?: string } = {}) =>
    execFileSync(argv[0]!, [...argv.slice(1), ...args], { encoding: 'utf8', input: opts.input, maxBuffer: 1 << 30 });
  return {
    argv,
    runFlags: ['--ulimit', 'nofile=1024:1024', '--ulimit', 'nproc=20000:20000'],
    run,
    dispose() {
      spawnSync(argv[0]!, [...argv.slice(1), 'rm', '-af', '-t', '0'], { stdio: 'ignore' });
      spawnSync(argv[0]!, [...argv.slice(1), 'system', 'reset', '-f'], { stdio: 'ignore' });
      spawnSync('umount', ['-R', join(dir, 'root', 'overlay')], { stdio: 'ignore' });
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
