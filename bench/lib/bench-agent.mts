/**
 * A real agent for a bench (`skiff daemon` with its own root, socket, port, bridge, nft table
 * and cgroup parent), reached over the tRPC client the CLI uses, and its teardown, which also
 * sweeps what a crashed agent left behind.
 */
import { appendFileSync, mkdtempSync, rmSync } from 'node:fs';
import { spawn, type ChildProcess } from 'node:child_process';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { connectAgent, type SkiffClient } from '../../apps/agent/src/cli/client.js';
import { freePort, sweepRuntimeLeftovers } from '@skiff/test-fixtures';

const SKIFF = resolve(import.meta.dirname, '..', '..', 'skiff');
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** the agent's own networking and cgroup names, so a bench never touches a real agent's */
export interface AgentNames {
  bridge: string;
  nftTable: string;
  cgroupParent: string;
}

export interface Agent {
  proc: ChildProcess;
  root: string;
  /** its HTTP port on 127.0.0.1 (API and dashboard) */
  port: number;
  client: SkiffClient;
  close(): void;
}

/**
 * `onCleanup` gets the teardown as soon as the agent process exists, so a failed start is
 * cleaned up too. `skiff`: another checkout's `skiff` to run (a before/after in one run).
 */
export async function startAgent(
  registry: string,
  names: AgentNames,
  onCleanup: (fn: () => Promise<void>) => void,
  opts: { skiff?: string } = {},
): Promise<Agent> {
  const dir = mkdtempSync(join(tmpdir(), 'skiff-density-'));
  const root = join(dir, 'root');
  const socket = join(dir, 'skiff.sock');
  const port = await freePort();
  const env: NodeJS.ProcessEnv = {
    ...process.env,
    SKIFF_BRIDGE: names.bridge,
    SKIFF_NFT_TABLE: names.nftTable,
    SKIFF_CGROUP_PARENT: names.cgroupParent,
    SKIFF_ADMIN_PASSWORD: 'density-bench',
    // the apps' proxy stays off: a bench agent must not take (or fail on) the host's :80/:443
    SKIFF_PROXY_HTTP: 'off',
    SKIFF_PROXY_HTTPS: 'off',
  };
  if (process.env.DENSITY_AGENT_NODE_FLAGS) env.SKIFF_NODE_FLAGS = process.env.DENSITY_AGENT_NODE_FLAGS;
  // its own process group: a Ctrl-C reaches this script, which then removes the containers through the agent
  const proc = spawn(
    opts.skiff ?? SKIFF,
    ['daemon', '--root', root, '--socket', socket, '--docker-socket', 'off', '--http', `127.0.0.1:${port}`, '--insecure-registry', registry],
    {
      env,
      detached: true,
      stdio: ['ignore', 'pipe', 'pipe'],
    },
  );
  onCleanup(() => stopAgentAndSweep(proc, dir, root, names));
  let out = '';
  const log = process.env.DENSITY_AGENT_LOG;
  // each chunk as it arrives, stamped: --trace-gc counts from the agent's start, and the
  // stamp of its earliest line puts that start on DENSITY_PS_LOG's wall clock
  if (log) for (const s of [proc.stdout!, proc.stderr!]) s.on('data', (b: Buffer) => appendFileSync(log, `@${Date.now()} ${b}`));
  await new Promise<void>((ok, fail) => {
    const timer = setTimeout(() => fail(new Error(`agent did not start: ${out}`)), 60_000);
    const onData = (b: Buffer) => {
      out += b.toString();
      if (out.includes('ready')) {
        clearTimeout(timer);
        ok();
      }
    };
    proc.stdout!.on('data', onData);
    proc.stderr!.on('data', onData);
    proc.once('exit', (code) => {
      clearTimeout(timer);
      fail(new Error(`agent exited (${code}): ${out}`));
    });
  });
  process.env.SKIFF_HOST = `unix://${socket}`;
  const { client, close } = await connectAgent();
  return { proc, root, port, client, close };
}

/** the agent first (SIGTERM, then SIGKILL), then whatever a crashed agent left: shims, netns, bridge, nft, cgroups */
async function stopAgentAndSweep(proc: ChildProcess, dir: string, root: string, names: AgentNames): Promise<void> {
  if (proc.exitCode === null && proc.signalCode === null) {
    const exited = new Promise((r) => proc.once('exit', r));
    proc.kill('SIGTERM');
    await Promise.race([exited, sleep(10_000)]);
    if (proc.exitCode === null && proc.signalCode === null) proc.kill('SIGKILL');
  }
  await sweepRuntimeLeftovers({ root, bridge: names.bridge, nftTable: names.nftTable, cgroupParent: names.cgroupParent });
  rmSync(dir, { recursive: true, force: true });
}
