import type { SkiffClient } from './client.js';

/**
 * Connects the local terminal to a session on the agent: output to stdout/stderr, stdin
 * (when asked) to the session, and with a TTY raw mode plus window-size changes.
 * Resolves with the process's exit code.
 */
export function streamSession(client: SkiffClient, sessionId: string, opts: { tty: boolean; stdin: boolean }): Promise<number> {
  return new Promise<number>((resolve, reject) => {
    const rawTty = opts.tty && opts.stdin && process.stdin.isTTY;
    const restore = () => {
      if (rawTty) process.stdin.setRawMode(false);
      process.stdin.pause();
      process.stdout.removeListener('resize', onResize);
    };
    const onResize = () => {
      void client.containers.sessionResize.mutate({ sessionId, rows: process.stdout.rows || 24, cols: process.stdout.columns || 80 }).catch(() => {});
    };
    let sending = Promise.resolve();
    const send = (fn: () => Promise<unknown>) => {
      // keep input ordered: each write goes after the previous one
      sending = sending.then(fn).then(() => {}, () => {});
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
          if (e.type === 'stderr') process.stderr.write(buf);
          else process.stdout.write(buf);
        },
        onError(err) {
          restore();
          reject(err);
        },
      },
    );

    if (opts.tty && process.stdout.isTTY) {
      onResize();
      process.stdout.on('resize', onResize);
    }
    if (opts.stdin) {
      if (rawTty) process.stdin.setRawMode(true);
      process.stdin.on('data', (d: Buffer) => send(() => client.containers.sessionInput.mutate({ sessionId, data: d.toString('base64') })));
      process.stdin.on('end', () => send(() => client.containers.sessionCloseStdin.mutate({ sessionId })));
      process.stdin.resume();
    }
  });
}
