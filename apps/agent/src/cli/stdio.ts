import { io } from './io.js';
import type { SkiffClient } from './client.js';
import { debugNote } from './debug-note.js';

/**
 * Connects the local terminal to a session on the agent: output to stdout/stderr, stdin
 * (when asked) to the session, and with a TTY raw mode plus window-size changes.
 * Resolves with the process's exit code.
 */
export function streamSession(client: SkiffClient, sessionId: string, opts: { tty: boolean; stdin: boolean }): Promise<number> {
  const callIo = io(); // taken once: the callbacks below run outside the call's context
  return new Promise<number>((resolve, reject) => {
    const rawTty = opts.tty && opts.stdin && callIo.stdin.isTTY;
    const restore = () => {
      if (rawTty) callIo.stdin.setRawMode!(false);
      callIo.stdin.pause();
      callIo.stdout.removeListener('resize', onResize);
    };
    const onResize = () => {
      // a resize that races the session's end is refused: nothing the user needs to see
      void client.containers.sessionResize
        .mutate({ sessionId, rows: callIo.stdout.rows || 24, cols: callIo.stdout.columns || 80 })
        .catch(debugNote('resizing the session'));
    };
    let sending = Promise.resolve();
    const send = (fn: () => Promise<unknown>) => {
      // keep input ordered: each write goes after the previous one
      sending = sending.then(fn).then(
        () => {},
        () => {},
      );
    };

    const sub = client.containers.sessionOutput.subscribe(
      { sessionId },
      {
        onData(event) {
          const e = event;
          if (e.type === 'exit') {
            restore();
            sub.unsubscribe();
            resolve(e.code);
            return;
          }
          const buf = Buffer.from(e.data, 'base64');
          if (e.type === 'stderr') callIo.stderr.write(buf);
          else callIo.stdout.write(buf);
        },
        onError(err) {
          restore();
          reject(err);
        },
      },
    );

    if (opts.tty && callIo.stdout.isTTY) {
      onResize();
      callIo.stdout.on('resize', onResize);
    }
    if (opts.stdin) {
      if (rawTty) callIo.stdin.setRawMode!(true);
      callIo.stdin.on('data', (d: Buffer) => send(() => client.containers.sessionInput.mutate({ sessionId, data: d.toString('base64') })));
      callIo.stdin.on('end', () => send(() => client.containers.sessionCloseStdin.mutate({ sessionId })));
      callIo.stdin.resume();
    }
  });
}
