// The dashboard's Next.js server, in its own process (started by web.ts). It listens on a
// unix socket only the agent reaches, and exits when the agent's pipe to it closes, so an
// agent that dies (even by SIGKILL) never leaves it behind.
import { chmodSync, rmSync } from 'node:fs';
import { createServer } from 'node:http';
import next from 'next';

const [dir, socket] = process.argv.slice(2);
process.stdin.on('end', () => process.exit(0));
process.stdin.on('error', () => process.exit(0));
process.stdin.resume();
// the agent's stop sends SIGTERM (and SIGKILL after its grace); a handler a library installs
// must not keep this process up
process.on('SIGTERM', () => process.exit(0));

const app = next({ dev: false, dir, quiet: true });
await app.prepare();
const handle = app.getRequestHandler();
rmSync(socket, { force: true });
const server = createServer((req, res) => void handle(req, res));
server.keepAliveTimeout = 65_000;
server.listen(socket, () => {
  chmodSync(socket, 0o600);
  process.stdout.write('ready\n');
});
