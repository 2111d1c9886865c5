import { existsSync, readdirSync, rmdirSync, rmSync, unlinkSync } from 'node:fs';
import { dirname } from 'node:path';
import { cleanupHost, createRuntime } from '@skiff/runtime';
import { USAGE, type DaemonOptions } from './options.js';
import { socketAlive } from './server.js';

/**
 * The daemon's actions other than serving: `--help`, and `--cleanup`/`--purge` (uninstall:
 * what the agent made on the host, and with --purge its data). undefined = serve.
 */
export async function runDaemonAction(opts: DaemonOptions): Promise<number | undefined> {
  if (opts.action === 'help') {
    process.stdout.write(`${USAGE}\n`);
    return 0;
  }
  if (opts.action === 'serve') return undefined;
  if (process.getuid?.() !== 0) throw new Error(`skiff daemon --${opts.action} must run as root`);
  if (existsSync(opts.socket) && (await socketAlive(opts.socket)))
    throw new Error(`the agent is running on ${opts.socket}: stop it first (systemctl stop skiff, or SIGTERM)`);
  const hadRoot = existsSync(opts.root);
  const runtime = await createRuntime({
    root: opts.root,
    insecureRegistries: [],
    bridgeName: opts.bridge,
    nftTable: opts.nftTable,
    cgroupParent: opts.cgroupParent,
  });
  const done = await cleanupHost(runtime, {
    root: opts.root,
    cgroupParent: opts.cgroupParent ?? 'skiff',
    force: opts.force,
    purge: opts.action === 'purge',
  }).catch(async (e: Error) => {
    await runtime.close();
    throw e;
  });
  // a root that only this command made is not left behind
  if (!hadRoot && existsSync(opts.root)) rmSync(opts.root, { recursive: true, force: true });
  for (const sock of [opts.socket, opts.dockerSocket]) {
    if (sock && existsSync(sock)) {
      unlinkSync(sock);
      done.push(`removed stale socket ${sock}`);
    }
  }
  // the socket directory (/run/skiff) when nothing else is in it
  const sockDir = dirname(opts.socket);
  if (existsSync(sockDir) && !readdirSync(sockDir).length) {
    rmdirSync(sockDir);
    done.push(`removed ${sockDir}`);
  }
  for (const line of done) process.stdout.write(`${line}\n`);
  process.stdout.write(
    opts.action === 'purge' ? 'skiff: host objects and data removed\n' : `skiff: host objects removed; data kept in ${opts.root} (--purge removes it)\n`,
  );
  return 0;
}
