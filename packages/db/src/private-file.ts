import { chmodSync, closeSync, existsSync, openSync } from 'node:fs';

/**
 * The SQLite database and its -wal, -shm and -journal files are 0600: they hold password
 * hashes, session and token digests and sealed registry credentials. The database file is
 * made 0600 before SQLite opens it, as SQLite gives the files it creates beside it the
 * database's mode; existing installs (0644) are tightened at every open.
 */
export function makeDbFilesPrivate(path: string): void {
  if (!existsSync(path)) closeSync(openSync(path, 'a', 0o600));
  for (const file of [path, `${path}-wal`, `${path}-shm`, `${path}-journal`]) {
    if (existsSync(file)) chmodSync(file, 0o600);
  }
}
