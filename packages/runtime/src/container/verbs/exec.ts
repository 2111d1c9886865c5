import type { ExecSpec, StdioSession } from '../../types.js';
import type { ContainerContext } from '../context.js';
import { validateExecStrings } from '../spec/spec-strings.js';
import { startExec } from '../stdio/start-exec.js';

export async function exec(ctx: ContainerContext, idOrName: string, spec: ExecSpec): Promise<StdioSession> {
  validateExecStrings(spec);
  const c = ctx.store.get(idOrName);
  return ctx.withLock(c.record.id, () => startExec(ctx, c, spec)); // no rm or start between its check and spawn
}
