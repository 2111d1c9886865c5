import { readSync } from 'node:fs';
import { errCode, fstatFd, isFile, O_NONBLOCK, O_RDONLY, openInRoot, openRootDir, withFdSync } from '../container/fs/root-fd.js';
import { InvalidArgument } from '../errors.js';

/**
 * A small file of a build context (the Dockerfile, `.dockerignore`) read through an fd
 * opened with openat2 RESOLVE_IN_ROOT from the context directory: a symlink in the context
 * (`Dockerfile -> /etc/shadow`) resolves inside the context, as Docker does, and can never
 * make the agent read a host file. Returns undefined when the file does not exist there.
 */
export function readContextFile(root: string, rel: string, maxBytes: number): string | undefined {
  return withFdSync(openRootDir(root), (rootFd) => {
    let fd: number;
    try {
      // O_NONBLOCK: a FIFO named Dockerfile must not hang the build
      fd = openInRoot(rootFd, rel, O_RDONLY | O_NONBLOCK);
    } catch (e) {
      if (['ENOENT', 'ENOTDIR', 'ELOOP'].includes(errCode(e) ?? '')) return undefined;
      throw e;
    }
    return withFdSync(fd, (f) => {
      const st = fstatFd(f);
      if (!isFile(st)) throw new InvalidArgument(`${rel} in the build context is not a regular file`);
      if (st.size > maxBytes) throw new InvalidArgument(`${rel} in the build context is larger than ${maxBytes} bytes`);
      const buf = Buffer.alloc(st.size);
      let off = 0;
      while (off < buf.length) {
        const n = readSync(f, buf, off, buf.length - off, off);
        if (n === 0) break;
        off += n;
      }
      return buf.subarray(0, off).toString('utf8');
    });
  });
}
