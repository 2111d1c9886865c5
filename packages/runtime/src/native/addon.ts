import { createRequire } from 'node:module';
import { NATIVE_BUILD_DIR } from './paths.js';

/**
 * Typed access to `build/Release/skiff_native.node`. Every function throws an Error whose
 * `code` is the errno name ('EPERM', 'ENOENT', ...) with `errno`, `syscall` and `path` set,
 * like Node's own fs errors.
 */
export interface NativeError extends Error {
  code: string;
  errno: number;
  syscall: string;
  path: string;
}

export interface PtyPair {
  /** the side the agent reads/writes */
  master: number;
  /** the side handed to the process as its stdio / controlling terminal */
  slave: number;
  /** `/dev/pts/N` */
  path: string;
}

interface NativeAddon {
  attachDeviceFilter(cgroupDir: string, rules: string): void;
  mknod(path: string, mode: number, major: number, minor: number): void;
  lsetxattr(path: string, name: string, value: Buffer): void;
  lgetxattr(path: string, name: string): Buffer | null;
  llistxattr(path: string): string[];
  mount(source: string, target: string, fstype: string, flags: number, data: string): void;
  umount2(target: string, flags: number): void;
  openpty(): PtyPair;
  setWinsize(fd: number, rows: number, cols: number): void;
  getWinsize(fd: number): { rows: number; cols: number };
  spawnReported(path: string, args: string[]): Promise<SpawnReport>;
  netnsCreate(path: string): Promise<void>;
  netnsDelete(path: string): Promise<void>;
  linkDelete(name: string): Promise<void>;
  vethSetup(spec: VethSpec): Promise<void>;
  unpackContext(): UnpackContext;
  unpackRun(ctx: UnpackContext, ops: Buffer, data: Buffer): Promise<void>;
  zstdContext(): ZstdContext;
  zstdDecompress(ctx: ZstdContext, input: Buffer, offset: number, output: Buffer): Promise<ZstdStep>;
  zstdCompressContext(level: number): ZstdCompressContext;
  zstdCompress(ctx: ZstdCompressContext, input: Buffer, offset: number, output: Buffer, end: boolean): Promise<ZstdCompressStep>;
  logFrames(input: Buffer, start: number, end: number, output: Buffer, opts: LogFramesOptions): number;
  openat2(dirfd: number, path: string, flags: number, mode: number, resolve: number): number;
  forceOpenat2Fallback(on: boolean): boolean;
  mkdirat(dirfd: number, name: string, mode: number): void;
  symlinkat(target: string, dirfd: number, name: string): void;
  linkat(olddirfd: number, oldname: string, newdirfd: number, newname: string, flags: number): void;
  unlinkat(dirfd: number, name: string, flags: number): void;
  fchownat(dirfd: number, name: string, uid: number, gid: number, flags: number): void;
  utimensat(dirfd: number, name: string, atimeMs: number, mtimeMs: number, flags: number): void;
  readlinkat(dirfd: number, name: string): string;
  mknodat(dirfd: number, name: string, mode: number, major: number, minor: number): void;
  fstatat(dirfd: number, name: string, flags: number): StatAt;
  fxattrs(fd: number): Record<string, Buffer>;
  fsetxattr(fd: number, name: string, value: Buffer): void;
}

/** fstatat's answer (times in ms since the epoch) */
export interface StatAt {
  mode: number;
  uid: number;
  gid: number;
  size: number;
  nlink: number;
  dev: number;
  ino: number;
  rdevMajor: number;
  rdevMinor: number;
  atimeMs: number;
  mtimeMs: number;
}

/** which lines logFrames keeps and how it writes them (since/until: unix seconds) */
export interface LogFramesOptions {
  stdout: boolean;
  stderr: boolean;
  timestamps: boolean;
  raw: boolean;
  since?: number;
  until?: number;
}

/** native state of one layer unpack (the file being written); freed with the object */
export type UnpackContext = { readonly __unpack: unique symbol };
/** a zstd decoder (ZSTD_DStream); freed with the object */
export type ZstdContext = { readonly __zstd: unique symbol };

/** a zstd encoder (ZSTD_CCtx); freed with the object */
export type ZstdCompressContext = { readonly __zstdCompress: unique symbol };

export interface ZstdCompressStep {
  /** input bytes used (from the offset) */
  consumed: number;
  /** output bytes written (from 0) */
  produced: number;
  /** with `end`: the frame is complete and nothing is left to flush */
  done: boolean;
}

export interface ZstdStep {
  /** input bytes used (from the offset) */
  consumed: number;
  /** output bytes written (from 0) */
  produced: number;
  /** a frame ended with this step */
  frameEnd: boolean;
}

export interface SpawnReport {
  pid: number;
  /** everything the child wrote to fd 3 before closing it */
  report: string;
  /** the first 4 KiB of what it wrote to stderr before closing it */
  stderr: string;
}

export interface VethSpec {
  /** the container's namespace file (/run/netns/...) */
  netns: string;
  /** host-side name, attached to the bridge and up */
  host: string;
  /** name inside the namespace (eth0...) */
  peer: string;
  bridge: string;
  /** the peer's MAC, 6 bytes */
  mac: Buffer;
  address: string;
  prefix: number;
  /** adds the default route via this address */
  gateway?: string;
}

let addon: NativeAddon | undefined;
function load(): NativeAddon {
  // loaded lazily so code paths that never need a syscall work without the build
  addon ??= createRequire(import.meta.url)(`${NATIVE_BUILD_DIR}skiff_native.node`) as NativeAddon;
  return addon;
}

// file type bits for mknod
export const S_IFCHR = 0o020000;
export const S_IFBLK = 0o060000;
export const S_IFIFO = 0o010000;

// mount(2) flags (linux/mount.h)
export const MS_RDONLY = 1;
export const MS_NOSUID = 2;
export const MS_NODEV = 4;
export const MS_NOEXEC = 8;
export const MS_REMOUNT = 32;
export const MS_BIND = 4096;
export const MS_MOVE = 8192;
export const MS_REC = 16384;
export const MS_PRIVATE = 1 << 18;
export const MS_SLAVE = 1 << 19;
export const MS_SHARED = 1 << 20;

// umount2(2) flags
export const MNT_FORCE = 1;
export const MNT_DETACH = 2;

export const mknod = (path: string, mode: number, major = 0, minor = 0): void => load().mknod(path, mode, major, minor);
export const lsetxattr = (path: string, name: string, value: Buffer): void => load().lsetxattr(path, name, value);
/** the attribute's value, or null when the file has no such attribute */
export const lgetxattr = (path: string, name: string): Buffer | null => load().lgetxattr(path, name);
export const llistxattr = (path: string): string[] => load().llistxattr(path);
export const mount = (source: string, target: string, fstype: string, flags: number, data = ''): void => load().mount(source, target, fstype, flags, data);
export const umount2 = (target: string, flags = 0): void => load().umount2(target, flags);
/** a new pty pair; both fds are O_CLOEXEC and must be closed by the caller (fs.closeSync) */
/** cgroup v2: allow exactly these devices (v1 rule syntax, one a line) in the cgroup at `cgroupDir` */
export const attachDeviceFilter = (cgroupDir: string, rules: string): void => load().attachDeviceFilter(cgroupDir, rules);
export const openpty = (): PtyPair => load().openpty();
export const setWinsize = (fd: number, rows: number, cols: number): void => load().setWinsize(fd, rows, cols);
export const getWinsize = (fd: number): { rows: number; cols: number } => load().getWinsize(fd);

/**
 * Spawns a program in its own session (stdin/stdout on /dev/null) and resolves once it has
 * closed fd 3 and stderr: the shim's report protocol. posix_spawn keeps the cost flat
 * however large the agent's heap is (child_process forks, which copies its page tables),
 * and the addon reaps the child itself when it exits.
 */
export const spawnReported = (path: string, args: string[]): Promise<SpawnReport> => load().spawnReported(path, args);
/** `ip netns add` over syscalls: a namespace bound at `path`, lo up */
export const netnsCreate = (path: string): Promise<void> => load().netnsCreate(path);
/** `ip netns del`; a missing namespace is not an error */
export const netnsDelete = (path: string): Promise<void> => load().netnsDelete(path);
/** `ip link del NAME` in the host namespace; a missing link is not an error */
export const linkDelete = (name: string): Promise<void> => load().linkDelete(name);
/** a veth pair over rtnetlink: host end on the bridge and up, the peer configured inside */
export const vethSetup = (spec: VethSpec): Promise<void> => load().vethSetup(spec);

export const unpackContext = (): UnpackContext => load().unpackContext();
/**
 * Runs a batch of a layer's filesystem ops (see layer-unpack.ts) on a worker thread, in
 * order. Rejects with a NativeError whose `index` is the op that failed.
 */
export const unpackRun = (ctx: UnpackContext, ops: Buffer, data: Buffer): Promise<void> => load().unpackRun(ctx, ops, data);
export const zstdContext = (): ZstdContext => load().zstdContext();
/** decodes from `input[offset..]` into `output` until either is used up (libzstd, on a worker thread) */
export const zstdDecompress = (ctx: ZstdContext, input: Buffer, offset: number, output: Buffer): Promise<ZstdStep> =>
  load().zstdDecompress(ctx, input, offset, output);
/** a zstd encoder at `level` (1-19): single-threaded, no checksum, so its output is deterministic */
export const zstdCompressContext = (level: number): ZstdCompressContext => load().zstdCompressContext(level);
/**
 * encodes from `input[offset..]` into `output` until the output is full or the input used up;
 * with `end`, until the frame is closed (libzstd, on a worker thread)
 */
export const zstdCompress = (ctx: ZstdCompressContext, input: Buffer, offset: number, output: Buffer, end: boolean): Promise<ZstdCompressStep> =>
  load().zstdCompress(ctx, input, offset, output, end);
/**
 * json-file log lines in input[start..end) (whole lines) as Docker frames (or raw bytes)
 * into `output`, which must be at least end - start bytes; returns the bytes written.
 */
export const logFrames = (input: Buffer, start: number, end: number, output: Buffer, opts: LogFramesOptions): number =>
  load().logFrames(input, start, end, output, opts);

// openat2(2) resolve flags (linux/openat2.h)
export const RESOLVE_NO_XDEV = 0x01;
export const RESOLVE_NO_MAGICLINKS = 0x02;
export const RESOLVE_NO_SYMLINKS = 0x04;
export const RESOLVE_BENEATH = 0x08;
export const RESOLVE_IN_ROOT = 0x10;

// *at() flags (linux/fcntl.h)
export const AT_SYMLINK_NOFOLLOW = 0x100;
export const AT_REMOVEDIR = 0x200;
export const AT_EMPTY_PATH = 0x1000;

/**
 * openat2(2): `path` looked up from `dirfd` under the `resolve` rules (RESOLVE_IN_ROOT: the
 * fd is the root, absolute symlinks and `..` stay inside it). Without openat2 in the kernel
 * an emulation walks the path over O_PATH|O_NOFOLLOW fds. Returns an O_CLOEXEC fd.
 */
export const openat2 = (dirfd: number, path: string, flags: number, mode: number, resolve: number): number => load().openat2(dirfd, path, flags, mode, resolve);
/** makes openat2 use its emulation, as on a kernel without it (tests); returns the previous setting */
export const forceOpenat2Fallback = (on: boolean): boolean => load().forceOpenat2Fallback(on);
export const mkdirat = (dirfd: number, name: string, mode: number): void => load().mkdirat(dirfd, name, mode);
export const symlinkat = (target: string, dirfd: number, name: string): void => load().symlinkat(target, dirfd, name);
export const linkat = (olddirfd: number, oldname: string, newdirfd: number, newname: string, flags = 0): void =>
  load().linkat(olddirfd, oldname, newdirfd, newname, flags);
export const unlinkat = (dirfd: number, name: string, flags = 0): void => load().unlinkat(dirfd, name, flags);
export const fchownat = (dirfd: number, name: string, uid: number, gid: number, flags: number): void => load().fchownat(dirfd, name, uid, gid, flags);
export const utimensat = (dirfd: number, name: string, atimeMs: number, mtimeMs: number, flags: number): void =>
  load().utimensat(dirfd, name, atimeMs, mtimeMs, flags);
/** the target of symlink `name` in `dirfd` ('' with an O_PATH|O_NOFOLLOW fd of the link) */
export const readlinkat = (dirfd: number, name: string): string => load().readlinkat(dirfd, name);
export const mknodat = (dirfd: number, name: string, mode: number, major = 0, minor = 0): void => load().mknodat(dirfd, name, mode, major, minor);
export const fstatat = (dirfd: number, name: string, flags: number): StatAt => load().fstatat(dirfd, name, flags);
/** every extended attribute of an open (not O_PATH) file; {} where the filesystem has none */
export const fxattrs = (fd: number): Record<string, Buffer> => load().fxattrs(fd);
export const fsetxattr = (fd: number, name: string, value: Buffer): void => load().fsetxattr(fd, name, value);
