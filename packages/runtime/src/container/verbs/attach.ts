import type { Socket } from 'node:net';
import type { StdioSession } from '../../types.js';
import type { ContainerContext } from '../context.js';
import { AttachSession, connectAttachSocket } from '../stdio/attach-client.js';
import type { StoredContainer } from '../store/container-store.js';
import { wait } from './wait.js';

export async function attach(ctx: ContainerContext, idOrName: string): Promise<StdioSession> {
  const c = ctx.store.get(idOrName);
  ctx.requireRunning(c);
  return attachTo(ctx, c);
}

/** a session on the shim's attach socket (or on `connection`, opened by a start) */
export async function attachTo(ctx: ContainerContext, c: StoredContainer, connection?: Promise<Socket>): Promise<StdioSession> {
  const session = new AttachSession(await (connection ?? connectAttachSocket(c.dir)));
  // 'exit' fires only once the runtime has recorded the exit too, so a caller can act on
  // the container (rm, inspect) right away. Without an exit frame (shim killed, or a
  // detach) the recorded exit code is used.
  let finished = false;
  const finish = (frameCode?: number) => {
    if (finished) return;
    finished = true;
    void wait(ctx, c.record.id).then(
      ({ statusCode }) => session.emit('exit', frameCode ?? statusCode),
      () => session.emit('exit', frameCode ?? 255),
    );
  };
  session.on('exitFrame', (code: number) => finish(code));
  session.on('close', () => {
    if (!session.exited && !session.detached && !finished) finish();
  });
  return session;
}
