// The `skiff` program: a CLI call in this process (run-cli.ts), or the agent (`skiff daemon`).
import { exitCodeOf, messageOf } from './errors.js';
import { afterOutput, io } from './io.js';
import { runCli } from './run-cli.js';

/**
 * Exits once stdout and stderr have taken everything written to them: open handles (stdin,
 * sockets) must not keep a finished command alive, but into a pipe or socket writes are
 * queued, and exiting earlier drops the end of a long output (`skiff logs x | less`).
 */
function exitWhenWritten(code: number): void {
  process.exitCode = code;
  afterOutput(io(), () => process.exit(code));
}

const argv = process.argv.slice(2);
if (argv[0] === 'daemon') {
  import('../daemon/main.js')
    .then(({ runDaemon }) => runDaemon(argv.slice(1)))
    .then(exitWhenWritten, (e: unknown) => {
      process.stderr.write(`skiff: ${messageOf(e)}\n`);
      exitWhenWritten(exitCodeOf(e));
    });
} else runCli(argv).then(exitWhenWritten);
