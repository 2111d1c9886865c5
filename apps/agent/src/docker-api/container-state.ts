import type { ContainerStateBackend } from './backend.js';
import { DockerApiError } from './http.js';

export interface ContainerState {
  /** the full id, which dockerd's state errors name */
  id: string;
  running: boolean;
  paused: boolean;
}

/** where a container stands, for the checks dockerd makes before kill, pause and unpause */
export async function containerState(runtime: ContainerStateBackend, ref: string): Promise<ContainerState> {
  const info = await runtime.containers.inspect(ref);
  return { id: info.Id, running: info.State.Running, paused: info.State.Paused };
}

// dockerd's own wording (daemon/errors.go, daemon/unpause.go): the runtime's messages name
// the container by its short id or name, the CLI prints these after "Error response from daemon: "

export function requireRunning(s: ContainerState): void {
  if (!s.running) throw new DockerApiError(409, `Container ${s.id} is not running`);
}

export function requireNotPaused(s: ContainerState): void {
  if (s.paused) throw new DockerApiError(409, `Container ${s.id} is already paused`);
}

/** dockerd raises this one as an untyped error, so it answers 500 */
export function requirePaused(s: ContainerState): void {
  if (!s.paused) throw new DockerApiError(500, `Container ${s.id} is not paused`);
}
