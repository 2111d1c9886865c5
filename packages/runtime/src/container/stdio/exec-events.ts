import { randomBytes } from 'node:crypto';
import type { ContainerContext } from '../context.js';
import type { StoredContainer } from '../store/container-store.js';

/** dockerd's action text: entrypoint, a space, the arguments (so a bare `ls` reads `exec_create: ls `) */
function withCommand(action: string, cmd: string[]): string {
  return `${action}: ${cmd[0] ?? ''} ${cmd.slice(1).join(' ')}`;
}

/** Docker's exec ids: 64 hex digits, as the two-step exec's create returns them */
export function newExecId(): string {
  return randomBytes(32).toString('hex');
}

/** `exec_create: CMD` (dockerd's daemon/exec.go), with the exec's id */
export function announceExec(ctx: ContainerContext, c: StoredContainer, execId: string, cmd: string[]): void {
  ctx.emit(c, withCommand('exec_create', cmd), { execID: execId });
}

export function execStarted(ctx: ContainerContext, c: StoredContainer, execId: string, cmd: string[]): void {
  ctx.emit(c, withCommand('exec_start', cmd), { execID: execId, execCommand: cmd.join(' ') });
}

/** `exec_die` with the exit code (dockerd's daemon/monitor.go) */
export function execDied(ctx: ContainerContext, c: StoredContainer, execId: string, exitCode: number): void {
  ctx.emit(c, 'exec_die', { execID: execId, exitCode: String(exitCode) });
}
