import { randomBytes } from 'node:crypto';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { Conflict, InvalidArgument } from '../../errors.js';
import type { ExecSpec } from '../../types.js';
import type { ContainerContext } from '../context.js';
import { formatShimConf } from '../shim/shim-conf.js';
import { mergeEnv, processEnv } from '../spec/container-spec.js';
import { ulimitLines } from '../spec/kernel-conf.js';
import { resolveUser } from '../spec/user.js';
import { ALL_CAPABILITIES } from '../store/container-record.js';
import type { StoredContainer } from '../store/container-store.js';
import { announceExec, execDied, execStarted, newExecId } from './exec-events.js';
import { ExecSession } from './exec-session.js';

/**
 * The one exec path: `exec` for callers and the health monitor's probes. The caller holds
 * the container's lock, so no rm or start comes between the running check and the spawn.
 */
export async function startExec(ctx: ContainerContext, c: StoredContainer, spec: ExecSpec): Promise<ExecSession> {
  if (c.state.status === 'paused') throw new Conflict(`container ${c.record.name} is paused, unpause the container before exec`);
  ctx.requireRunning(c);
  if (!spec.cmd?.length || !spec.cmd[0]) throw new InvalidArgument('no exec command specified');
  if (spec.workingDir && !spec.workingDir.startsWith('/'))
    throw new InvalidArgument(`the working directory '${spec.workingDir}' is invalid, it needs to be an absolute path`);
  const lowers = await ctx.opts.images.layerDirs(c.record.imageId);
  const user = await resolveUser(spec.user ?? c.record.user, [join(c.dir, 'upper'), ...lowers]);
  const confPath = join(c.dir, `exec-${randomBytes(6).toString('hex')}.conf`);
  await writeFile(
    confPath,
    formatShimConf([
      ['pid', c.state.pid],
      ['arg', spec.cmd],
      ['env', mergeEnv(processEnv(c.record, !!spec.tty), spec.env)],
      ['cwd', spec.workingDir || c.record.workingDir],
      ['uid', user.uid],
      ['gid', user.gid],
      ['group', user.groups],
      ['cap', spec.privileged ? ALL_CAPABILITIES : c.record.capabilities],
      ['noNewPrivileges', true],
      ['seccomp', spec.privileged ? 'unconfined' : 'default'],
      ['tty', !!spec.tty],
      // an exec'd process gets the container's limits, as runc's exec does
      ['ulimit', ulimitLines(c.record.spec.ulimits)],
    ]),
  );
  // Docker's exec events: create (unless the caller's create step announced it), start, die with the code
  const execId = spec.execId ?? newExecId();
  if (!spec.execId) announceExec(ctx, c, execId, spec.cmd);
  execStarted(ctx, c, execId, spec.cmd);
  const session = new ExecSession(confPath, !!spec.tty, spec.stdin ?? false);
  session.once('exit', (code: number) => execDied(ctx, c, execId, code));
  return session;
}
