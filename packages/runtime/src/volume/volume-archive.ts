import type { Readable } from 'node:stream';
import { clearTreeFd } from '../container/fs/tree-clear.js';
import { closeQuietly, openRootDir } from '../container/fs/root-fd.js';
import { packEntryFd } from '../container/fs/tar-pack.js';
import { extractIntoRoot } from '../container/fs/tar-unpack.js';

/*
 * A volume's content as a tar stream and back, for backups. The volume's `_data` directory
 * (the agent's own path, which no container can replace) is opened once as a root fd, and
 * everything below is reached from it: the packer opens each entry with O_NOFOLLOW from its
 * parent's fd, the extractor resolves with openat2(RESOLVE_IN_ROOT). Symlinks a container
 * planted, or swaps in while this runs, are archived and restored as symlinks, never followed.
 */

/** `./` and everything below it; owners, modes, times and symlinks kept; sockets, fifos and devices skipped */
export function packVolume(dataDir: string): Readable {
  return packEntryFd(openRootDir(dataDir), '.');
}

/**
 * Extracts a tar stream into the volume. `replace` empties it first (over fds, as the pack);
 * the archive's `.` entry gives the volume's own owner and mode.
 */
export async function unpackVolume(dataDir: string, input: NodeJS.ReadableStream, opts: { replace?: boolean } = {}): Promise<void> {
  const rootFd = openRootDir(dataDir);
  try {
    if (opts.replace) await clearTreeFd(rootFd);
    await extractIntoRoot(rootFd, '/', input, { rootMeta: true });
  } finally {
    closeQuietly(rootFd);
  }
}
