/**
 * Debian's Docker as a peer: containerd (Debian's config: the CRI plugin on, as its
 * containerd.service runs it) and dockerd on top of it, the way docker.service starts them,
 * but with every path of their own (root, state, sockets, data and exec roots, pidfile), so
 * a bench never meets a real Docker on the host. dockerd gets no default bridge and no
 * iptables rules: the host's networking is not this bench's to change.
 */
import { execFileSync, spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, openSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ensureDebian } from './peers.mjs';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
/** dockerd 20.10 writes its trust key here whatever its roots; removed after if it made it */
const TRUST_KEY = '/etc/docker/key.json';

export interface Dockerd {
  /** containerd's and dockerd's pids */
  readonly pids: { containerd: number; dockerd: number };
  /** the docker CLI against this dockerd */
  docker(args: string[]): string;
}

async function waitFor(what: string, ok: () => boolean, proc: ChildProcess, log: string, ms = 60_000): Promise<void> {
  const until = Date.now() + ms;
  while (!ok()) {
    if (proc.exitCode !== null) throw new Error(`${what} exited (${proc.exitCode}): ${readFileSync(log, 'utf8').slice(-2000)}`);
    if (Date.now() > until) throw new Error(`${what} did not come up in ${ms} ms: ${readFileSync(log, 'utf8').slice(-2000)}`);
    await sleep(200);
  }
}

async function stop(proc: ChildProcess): Promise<void> {
  if (proc.exitCode !== null || proc.signalCode !== null) return;
  const exited = new Promise((r) => proc.once('exit', r));
  proc.kill('SIGTERM');
  await Promise.race([exited, sleep(15_000)]);
  if (proc.exitCode === null && proc.signalCode === null) proc.kill('SIGKILL');
}

/** `onCleanup` gets the teardown as soon as a process exists, so a failed start is cleaned up too */
export async function startDockerd(onCleanup: (fn: () => Promise<void>) => void): Promise<Dockerd> {
  ensureDebian({ dockerd: 'docker.io', containerd: 'containerd' });
  const dir = mkdtempSync(join(tmpdir(), 'skiff-bench-dockerd-'));
  const hadTrustKey = existsSync(TRUST_KEY);
  const procs: ChildProcess[] = [];
  onCleanup(async () => {
    for (const p of [...procs].reverse()) await stop(p);
    // whatever they left mounted below their roots, then the roots
    const mounts = readFileSync('/proc/self/mounts', 'utf8')
      .split('\n')
      .map((l) => l.split(' ')[1] ?? '')
      .filter((m) => m.startsWith(dir))
      .reverse();
    for (const m of mounts) spawnSync('umount', ['-l', m], { stdio: 'ignore' });
    rmSync(dir, { recursive: true, force: true });
    if (!hadTrustKey) rmSync(TRUST_KEY, { force: true });
  });

  const ctrSock = join(dir, 'containerd.sock');
  // Debian's /etc/containerd/config.toml with this bench's paths
  writeFileSync(
    join(dir, 'containerd.toml'),
    [
      'version = 2',
      `root = "${join(dir, 'containerd-root')}"`,
      `state = "${join(dir, 'containerd-state')}"`,
      `[grpc]\n  address = "${ctrSock}"`,
      `[ttrpc]\n  address = "${ctrSock}.ttrpc"`,
      '[plugins]',
      '  [plugins."io.containerd.grpc.v1.cri"]',
      '    [plugins."io.containerd.grpc.v1.cri".cni]',
      '      bin_dir = "/usr/lib/cni"',
      '      conf_dir = "/etc/cni/net.d"',
      '  [plugins."io.containerd.internal.v1.opt"]',
      `    path = "${join(dir, 'containerd-opt')}"`,
      '',
    ].join('\n'),
  );
  const ctrLog = join(dir, 'containerd.log');
  const containerd = spawn('containerd', ['--config', join(dir, 'containerd.toml')], { stdio: ['ignore', openSync(ctrLog, 'a'), openSync(ctrLog, 'a')] });
  procs.push(containerd);
  await waitFor('containerd', () => existsSync(ctrSock), containerd, ctrLog);

  const sock = join(dir, 'docker.sock');
  writeFileSync(join(dir, 'daemon.json'), '{}\n');
  const dLog = join(dir, 'dockerd.log');
  const dockerd = spawn(
    'dockerd',
    [
      '--config-file',
      join(dir, 'daemon.json'),
      '--data-root',
      join(dir, 'docker'),
      '--exec-root',
      join(dir, 'exec'),
      '--pidfile',
      join(dir, 'docker.pid'),
      '--host',
      `unix://${sock}`,
      '--containerd',
      ctrSock,
      '--bridge',
      'none',
      '--iptables=false',
      '--ip-masq=false',
      '--ip-forward=false',
    ],
    { stdio: ['ignore', openSync(dLog, 'a'), openSync(dLog, 'a')] },
  );
  procs.push(dockerd);
  const docker = (args: string[]) => execFileSync('docker', ['--host', `unix://${sock}`, ...args], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
  await waitFor(
    'dockerd',
    () => {
      try {
        docker(['version', '--format', '{{.Server.Version}}']);
        return true;
      } catch {
        return false; // not answering yet
      }
    },
    dockerd,
    dLog,
  );
  return { pids: { containerd: containerd.pid!, dockerd: dockerd.pid! }, docker };
}
