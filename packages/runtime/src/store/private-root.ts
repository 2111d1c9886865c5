import { chmod, lstat, mkdir, readdir } from 'node:fs/promises';
import { join } from 'node:path';

/**
 * The runtime root is root's alone (0700): it holds unpacked image layers (setuid binaries,
 * device nodes), container filesystems and the database, which a local user must not reach
 * by a known path. Nothing needs another user's access: the shim, the overlay mounts and
 * the agent all run as root, and containers see their files through their own mounts.
 * Existing installs (0711 root, 0755 state directories, 0644 files) are tightened at every
 * start; the contents of layers, containers and volumes keep their own modes.
 */
export async function makePrivateRoot(root: string): Promise<void> {
  await mkdir(root, { recursive: true, mode: 0o700 });
  await chmod(root, 0o700);
  for (const name of await readdir(root)) {
    const path = join(root, name);
    const st = await lstat(path);
    if (st.isSymbolicLink() || (st.mode & 0o077) === 0) continue;
    // state directories (layers/, containers/, volumes/ …) and files (skiff.db, records) alike
    if (st.isDirectory() || st.isFile()) await chmod(path, st.mode & 0o700);
  }
}
