import { createRequire } from 'node:module';
import { NATIVE_BUILD_DIR } from './paths.js';

interface NativeAddon {
  mknod(path: string, mode: number, major: number, minor: number): void;
  lsetxattr(path: string, name: string, value: Buffer): void;
  lgetxattr(path: string, name: string): Buffer | null;
  llistxattr(path: string): string[];
  mount(source: string, target: string, fstype: string, flags: number, data: string): void;
  umount2(target: string, flags: number): void;
}

let addon: NativeAddon | undefined;
function load(): NativeAddon {
  // loaded lazily so code paths that never need a syscall work without the build
  addon ??= createRequire(import.meta.url)(`${NATIVE_BUILD_DIR}skiff_native.node`) as NativeAddon;
  return addon;
}

export const S_IFCHR = 0o020000;
export const S_IFBLK = 0o060000;
export const S_IFIFO = 0o010000;
export const MS_RDONLY = 1;
export const MS_BIND = 4096;
export const MS_REC = 16384;
export const MNT_DETACH = 2;

export const mknod = (path: string, mode: number, major = 0, minor = 0) => load().mknod(path, mode, major, minor);
export const lsetxattr = (path: string, name: string, value: Buffer) => load().lsetxattr(path, name, value);
export const lgetxattr = (path: string, name: string) => load().lgetxattr(path, name);
export const llistxattr = (path: string) => load().llistxattr(path);
export const mount = (source: string, target: string, fstype: string, flags: number, data: string) => load().mount(source, target, fstype, flags, data);
export const umount2 = (target: string, flags: number) => load().umount2(target, flags);
