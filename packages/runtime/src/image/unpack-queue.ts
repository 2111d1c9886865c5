import { InvalidArgument } from '../errors.js';
import { unpackContext, unpackRun, type NativeError } from '../native/addon.js';

/** op codes of native/addon/unpack-ops.c */
export const OP = { mkdir: 1, open: 2, write: 3, close: 4, symlink: 5, link: 6, mknod: 7, xattr: 8, dirmeta: 9, chown: 10 } as const;
type Op = (typeof OP)[keyof typeof OP];
/** the op sets the times in `mtime` */
export const F_MTIME = 1;
/** an xattr the filesystem or kernel refuses (EOPNOTSUPP, ENOTSUP, EPERM) is skipped */
export const F_TOLERANT = 2;
/** mknod: set owner and mode (a whiteout keeps root's and mknod's) */
export const F_CHOWN = 4;

const HEADER = 56;
/** a batch goes to the addon once it holds this much file data or this many ops */
const BATCH_DATA = 4 << 20;
const BATCH_OPS = 4096;

export interface OpArgs {
  mode?: number;
  uid?: number;
  gid?: number;
  mtime?: Date;
  major?: number;
  minor?: number;
  /** symlink target, hard link target path, xattr name */
  arg?: string;
  data?: Buffer;
  flags?: number;
}

const OP_NAMES = Object.fromEntries(Object.entries(OP).map(([k, v]) => [v, k])) as Record<Op, string>;

/** ops encoded for unpack_run: fixed 56-byte headers, NUL-terminated path and arg, 8-byte aligned */
class Batch {
  ops: Buffer = Buffer.allocUnsafe(256 * 1024);
  opsLen = 0;
  data: Buffer = Buffer.allocUnsafe(BATCH_DATA + 256 * 1024);
  dataLen = 0;
  /** per op, for errors: the tar entry and the path */
  readonly entries: string[] = [];
  readonly paths: string[] = [];
  readonly types: Op[] = [];

  get count(): number {
    return this.types.length;
  }

  add(type: Op, path: string, entry: string, a: OpArgs): void {
    const arg = a.arg ?? '';
    const pathLen = Buffer.byteLength(path);
    const argLen = Buffer.byteLength(arg);
    const rec = (HEADER + pathLen + 1 + argLen + 1 + 7) & ~7;
    if (this.opsLen + rec > this.ops.length) this.ops = grow(this.ops, this.opsLen, this.opsLen + rec);
    let dataOff = 0;
    const dlen = a.data?.length ?? 0;
    if (dlen) {
      if (this.dataLen + dlen > this.data.length) this.data = grow(this.data, this.dataLen, this.dataLen + dlen);
      dataOff = this.dataLen;
      a.data!.copy(this.data, dataOff);
      this.dataLen += dlen;
    }
    const b = this.ops;
    const o = this.opsLen;
    b.fill(0, o, o + rec);
    b[o] = type;
    b[o + 1] = a.flags ?? 0;
    b.writeUInt32LE(a.mode ?? 0, o + 4);
    b.writeUInt32LE(a.uid ?? 0, o + 8);
    b.writeUInt32LE(a.gid ?? 0, o + 12);
    if (a.mtime) {
      const ms = a.mtime.getTime();
      const sec = Math.floor(ms / 1000);
      b.writeDoubleLE(sec, o + 16);
      b.writeUInt32LE(Math.round((ms - sec * 1000) * 1e6), o + 24);
    }
    b.writeUInt32LE(a.major ?? 0, o + 28);
    b.writeUInt32LE(a.minor ?? 0, o + 32);
    b.writeUInt32LE(pathLen, o + 36);
    b.writeUInt32LE(argLen, o + 40);
    b.writeUInt32LE(dlen, o + 44);
    b.writeUInt32LE(dataOff, o + 48);
    b.write(path, o + HEADER);
    if (argLen) b.write(arg, o + HEADER + pathLen + 1);
    this.opsLen += rec;
    this.entries.push(entry);
    this.paths.push(path);
    this.types.push(type);
  }
}

function grow(b: Buffer, used: number, need: number): Buffer {
  const bigger = Buffer.allocUnsafe(Math.max(need, b.length * 2));
  b.copy(bigger, 0, 0, used);
  return bigger;
}

/**
 * A layer's filesystem ops, run by the addon in batches and in order: one batch runs on a
 * worker thread while the next is being filled, so decompressing and parsing the tar
 * overlap with the writes. A failed batch fails the next `submit`/`drain`.
 */
export class UnpackQueue {
  private readonly ctx = unpackContext();
  private batch = new Batch();
  private running: Promise<void> | undefined;
  private failure: unknown;

  add(type: Op, path: string, entry: string, args: OpArgs = {}): void {
    this.batch.add(type, path, entry, args);
  }

  /** file data for the file the last `open` started */
  write(path: string, entry: string, data: Buffer): void {
    this.batch.add(OP.write, path, entry, { data });
  }

  /** enough is queued for a batch */
  get full(): boolean {
    return this.batch.dataLen >= BATCH_DATA || this.batch.count >= BATCH_OPS;
  }

  /** hands the queued ops to the addon once the previous batch is done */
  async submit(): Promise<void> {
    // several callers may wait here (a file's data keeps coming while one waits): each
    // starts its batch only when none runs, so batches never overlap and keep their order
    while (this.running) await this.settle();
    if (this.failure) throw this.failure;
    const b = this.batch;
    if (!b.count) return;
    this.batch = new Batch();
    this.running = unpackRun(this.ctx, b.ops.subarray(0, b.opsLen), b.data.subarray(0, b.dataLen)).then(
      () => undefined,
      (e: NativeError & { index: number }) => {
        this.failure = describe(e, b);
      },
    );
  }

  /** everything queued is on disk */
  async drain(): Promise<void> {
    await this.submit();
    while (this.running) await this.settle();
    if (this.failure) throw this.failure;
  }

  /** waits until no batch runs, whatever the outcomes */
  async idle(): Promise<void> {
    while (this.running) await this.settle();
  }

  /** waits for the running batch, whatever its outcome */
  private async settle(): Promise<void> {
    const r = this.running;
    await r;
    if (this.running === r) this.running = undefined;
  }
}

function describe(e: NativeError & { index: number }, b: Batch): Error {
  if (typeof e.index !== 'number') return e;
  const entry = b.entries[e.index] ?? '?';
  const path = b.paths[e.index] ?? '';
  if (b.types[e.index] === OP.xattr) return new InvalidArgument(`layer entry "${entry}": cannot set xattr on ${path}: ${e.code}`);
  if (e.code === 'ENOSPC' || e.code === 'EDQUOT')
    return Object.assign(new Error(`no space left on the device while unpacking layer entry "${entry}" (${e.syscall} ${path})`), { code: e.code });
  const err = new Error(`${e.code}: ${e.message}, ${e.syscall} '${path}' (layer entry "${entry}", ${OP_NAMES[b.types[e.index]!]})`);
  return Object.assign(err, { code: e.code, errno: e.errno, syscall: e.syscall, path });
}
