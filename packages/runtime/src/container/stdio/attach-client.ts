import { EventEmitter } from 'node:events';
import { closeSync, openSync } from 'node:fs';
import { connect, type Socket } from 'node:net';
import { Conflict } from '../../errors.js';
import type { StdioSession } from '../../types.js';
import { shimProtocol } from '../shim/shim-protocol.js';
import { logger } from '@skiff/logger';

const log = logger.child({ component: 'attach' });

/** Frame types on attach.sock (docs/architecture.md, "Runtime files written by the shim"). */
export const Frame = { stdin: 0, stdout: 1, stderr: 2, resize: 3, closeStdin: 4, exit: 5 } as const;

export function encodeFrame(type: number, payload: Buffer = Buffer.alloc(0)): Buffer {
  const head = Buffer.alloc(5);
  head.writeUInt8(type, 0);
  head.writeUInt32BE(payload.length, 1);
  return Buffer.concat([head, payload]);
}

/**
 * Connects to a container's attach socket. The path goes through /proc/self/fd because
 * `<root>/containers/<64-hex-id>/attach.sock` can exceed the 108-byte sun_path limit.
 * Every protocol version so far frames as above; a shim newer than this agent is refused
 * (FormatTooNew) rather than misread. A shim from before versioning speaks version 1.
 */
export function connectAttachSocket(containerDir: string): Promise<Socket> {
  try {
    shimProtocol(containerDir);
  } catch (e) {
    return Promise.reject(e as Error);
  }
  const dirFd = openSync(containerDir, 'r');
  return new Promise<Socket>((resolve, reject) => {
    const sock = connect(`/proc/self/fd/${dirFd}/attach.sock`);
    const done = () => {
      try {
        closeSync(dirFd);
      } catch (e) {
        // EBADF: both the socket's close and its error end here, the second finds it closed
        log.debug('closing a container directory fd', { fd: dirFd, err: e });
      }
    };
    sock.once('connect', () => {
      done();
      resolve(sock);
    });
    sock.once('error', (e) => {
      done();
      reject(new Conflict(`cannot attach to the container: it is not running (${(e as NodeJS.ErrnoException).code})`));
    });
  });
}

/** A StdioSession over one attach.sock connection. */
export class AttachSession extends EventEmitter implements StdioSession {
  private buf: Buffer = Buffer.alloc(0);
  exited = false;
  detached = false;

  constructor(private readonly sock: Socket) {
    super();
    sock.on('data', (d: Buffer) => this.onData(d));
    sock.on('close', () => this.emit('close'));
    sock.on('error', (e) => this.emit('error', e));
  }

  private onData(chunk: Buffer): void {
    this.buf = this.buf.length ? Buffer.concat([this.buf, chunk]) : chunk;
    while (this.buf.length >= 5) {
      const type = this.buf.readUInt8(0);
      const len = this.buf.readUInt32BE(1);
      if (this.buf.length < 5 + len) break;
      const payload = this.buf.subarray(5, 5 + len);
      this.buf = this.buf.subarray(5 + len);
      if (type === Frame.stdout) this.emit('stdout', payload);
      else if (type === Frame.stderr) this.emit('stderr', payload);
      else if (type === Frame.exit) {
        this.exited = true;
        // the owner turns this into 'exit' once the runtime has recorded the exit too
        this.emit('exitFrame', payload.readInt32BE(0));
      }
    }
  }

  write(data: Buffer): void {
    if (!this.sock.destroyed) this.sock.write(encodeFrame(Frame.stdin, data));
  }

  closeStdin(): void {
    if (!this.sock.destroyed) this.sock.write(encodeFrame(Frame.closeStdin));
  }

  resize(rows: number, cols: number): void {
    const p = Buffer.alloc(4);
    p.writeUInt16BE(rows, 0);
    p.writeUInt16BE(cols, 2);
    if (!this.sock.destroyed) this.sock.write(encodeFrame(Frame.resize, p));
  }

  /** the shim drops an attach client that falls more than 1 MiB behind; the container never waits */
  pause(): void {
    this.sock.pause();
  }

  resume(): void {
    this.sock.resume();
  }

  detach(): void {
    this.detached = true;
    this.sock.destroy();
  }
}
