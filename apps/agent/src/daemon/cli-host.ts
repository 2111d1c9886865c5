import { Readable, Writable, type Duplex } from 'node:stream';
import { afterOutput, withIo, type CliInput, type CliIo, type CliOutput } from '../cli/io.js';
import { runCli, servedInAgent } from '../cli/run-cli.js';
import { containFaults } from './fault-containment.js';
import { onStopping, SHUTDOWN_MESSAGE } from './stopping.js';

/**
 * CLI calls run inside the agent for the native client (apps/agent/native/client): a call
 * costs the client no Node start (~80 ms here), only a connection. The client sends its
 * argv, cwd, environment and terminal; the agent runs the same CLI code with io() bound to
 * this connection and streams stdout/stderr back, reading stdin only when the command
 * does. docs/architecture.md, "The CLI", has the protocol.
 *
 * Frames both ways: type (1 byte), payload length (u32 BE), payload.
 */
export const CLI_UPGRADE = 'skiff-cli/1';

// client → agent: the hello (A argv element, D cwd, N env entry, T terminal, G go), then
// I stdin bytes, i stdin end, W window size
// agent → client: O stdout, E stderr, S/P start/stop reading stdin, R raw mode, X exit, F
// "run the Node CLI instead"
const MAX_FRAME = 16 << 20;
const MAX_OUTPUT_FRAME = 1 << 20;

export function serveCliCall(socket: Duplex, head: Buffer, agentSocket: string): void {
  containCallErrors();
  socket.write(`HTTP/1.1 101 Switching Protocols\r\nUpgrade: ${CLI_UPGRADE}\r\nConnection: Upgrade\r\n\r\n`);
  const argv: string[] = [];
  const env: Record<string, string> = {};
  let cwd = '/';
  let term: Buffer = Buffer.alloc(7);
  let call: ReturnType<typeof startCall> | undefined;
  let finished = false;

  const send = (type: string, payload: Buffer = EMPTY, cb?: (err?: Error | null) => void) => {
    if (finished && type !== 'X' && type !== 'F') return void cb?.();
    const header = Buffer.allocUnsafe(5);
    header[0] = type.charCodeAt(0);
    header.writeUInt32BE(payload.length, 1);
    socket.cork();
    socket.write(header);
    // a write the client can no longer take ends the call through 'close', not as an
    // error of the call's stdout (nothing in the call would handle it)
    socket.write(payload, cb && (() => cb()));
    socket.uncork();
  };
  const finish = (type: 'X' | 'F', payload?: Buffer) => {
    if (finished) return;
    finished = true;
    send(type, payload);
    socket.end();
  };

  const onFrame = (type: number, payload: Buffer) => {
    if (call) return call.input(type, payload);
    switch (String.fromCharCode(type)) {
      case 'A':
        return void argv.push(payload.toString('utf8'));
      case 'D':
        // empty when the caller's directory was deleted
        return void (cwd = payload.toString('utf8') || '/');
      case 'N': {
        const entry = payload.toString('utf8');
        const eq = entry.indexOf('=');
        if (eq > 0) env[entry.slice(0, eq)] = entry.slice(eq + 1);
        return;
      }
      case 'T':
        return void (term = payload);
      case 'G':
        if (!servedInAgent(argv)) return finish('F');
        // the call's own connections go to this agent, whatever address the client was given
        call = startCall({ argv, cwd, env: { ...env, SKIFF_HOST: `unix://${agentSocket}` }, term, send, finish });
        return;
      default:
        socket.destroy();
    }
  };

  let pending: Buffer = head;
  const onData = (chunk: Buffer) => {
    pending = pending.length ? Buffer.concat([pending, chunk]) : chunk;
    while (pending.length >= 5) {
      const len = pending.readUInt32BE(1);
      if (len > MAX_FRAME) return socket.destroy();
      if (pending.length < 5 + len) break;
      const type = pending[0]!;
      const payload = pending.subarray(5, 5 + len);
      pending = pending.subarray(5 + len);
      onFrame(type, payload);
    }
  };
  socket.on('data', onData);
  socket.on('error', () => socket.destroy());
  // the client never half-closes (stdin's end is a frame), so its end is the caller gone; the
  // HTTP server's sockets allow half-open, so without this an idle call would never see 'close'
  socket.on('end', () => socket.destroy());
  // the agent stopping ends the call with a word and a failed exit, not a bare cut (a suspended
  // client reads neither: its connection is destroyed after the grace, shutdown.ts)
  const offStopping = onStopping(() => {
    if (finished) return;
    send('E', Buffer.from(`skiff: ${SHUTDOWN_MESSAGE}\n`));
    finish('X', SHUTDOWN_EXIT);
    call?.abort();
  });
  socket.on('close', () => {
    offStopping();
    // the client went away mid-call (Ctrl+C, a dead pipe): its call's connections close too
    finished = true;
    call?.abort();
  });
  if (head.length) onData(Buffer.alloc(0));
}

const EMPTY = Buffer.alloc(0);
/** exit code 125 (the agent failed the call, as docker's), big-endian, for the X frame */
const SHUTDOWN_EXIT = Buffer.from([0, 0, 0, 125]);

/**
 * A call's own failure (an exception thrown in one of its callbacks, a rejection it left
 * unhandled) ends that call with exit code 125, as it would have ended a CLI process, and
 * not the agent: fault-containment.ts knows the call by its AsyncLocalStorage context.
 */
export function containCallErrors(): void {
  containFaults();
}

interface CallSetup {
  argv: string[];
  cwd: string;
  env: Record<string, string>;
  /** isatty(0), isatty(1), isatty(2), cols u16 BE, rows u16 BE */
  term: Buffer;
  send(type: string, payload?: Buffer, cb?: (err?: Error | null) => void): void;
  finish(type: 'X', payload: Buffer): void;
}

function startCall(setup: CallSetup) {
  const { term, send } = setup;
  const abort = new AbortController();
  const output = (type: 'O' | 'E', tty: boolean): CliOutput => {
    const out: CliOutput = new Writable({
      write(chunk: Buffer, _enc, cb) {
        // frames of at most 1 MiB: the client refuses a frame over 16 MiB, and one huge
        // write (a JSON dump) should not be one huge frame anyway
        for (let off = 0; off < chunk.length; off += MAX_OUTPUT_FRAME) {
          const end = Math.min(off + MAX_OUTPUT_FRAME, chunk.length);
          send(type, chunk.subarray(off, end), end === chunk.length ? cb : undefined);
        }
        if (!chunk.length) cb();
      },
    });
    out.on('error', () => {}); // a write after the call ended: there is no one left to tell
    out.isTTY = tty;
    if (tty) {
      out.columns = term.length >= 7 ? term.readUInt16BE(3) || 80 : 80;
      out.rows = term.length >= 7 ? term.readUInt16BE(5) || 24 : 24;
    }
    return out;
  };
  const stdout = output('O', term[1] === 1);
  const stderr = output('E', term[2] === 1);
  // the client reads its stdin only while asked (S), and stops when the stream is full (P)
  let reading = false;
  const stdin: CliInput = new Readable({
    read() {
      if (!reading) {
        reading = true;
        send('S');
      }
    },
  });
  stdin.on('error', () => {}); // destroyed when the caller went away
  stdin.isTTY = term[0] === 1;
  stdin.setRawMode = (raw: boolean) => send('R', Buffer.from([raw ? 1 : 0]));

  const exit = (code: number) => {
    const payload = Buffer.allocUnsafe(4);
    payload.writeInt32BE(code | 0);
    setup.finish('X', payload);
  };
  const callIo: CliIo = { stdin, stdout, stderr, cwd: setup.cwd, env: setup.env, exit, signal: abort.signal };
  // X goes after what the call wrote: the frames are queued in order on the socket
  void withIo(callIo, () => runCli(setup.argv)).then((code) => afterOutput(callIo, () => exit(code)));

  return {
    input(type: number, payload: Buffer) {
      switch (String.fromCharCode(type)) {
        case 'I':
          if (!stdin.push(payload) && reading) {
            reading = false;
            send('P');
          }
          return;
        case 'i':
          return void stdin.push(null);
        case 'W':
          if (payload.length >= 4 && stdout.isTTY) {
            stdout.columns = payload.readUInt16BE(0) || 80;
            stdout.rows = payload.readUInt16BE(2) || 24;
            stdout.emit('resize');
          }
          return;
      }
    },
    abort() {
      abort.abort();
      stdin.destroy();
    },
  };
}
