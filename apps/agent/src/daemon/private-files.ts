import { fchmodSync, fstatSync } from 'node:fs';
import { logger } from '@skiff/logger';

const log = logger.child({ component: 'agent' });

/**
 * stdout and stderr, when they are regular files (`skiff daemon >>/var/log/skiff-agent.log`),
 * become 0600: the log holds the one-time setup link, which any local user could otherwise
 * read and use to create the admin. Pipes and terminals are left alone.
 */
export function privateLogFiles(): void {
  for (const fd of [1, 2]) {
    try {
      const st = fstatSync(fd);
      if (st.isFile() && st.uid === process.getuid?.() && (st.mode & 0o077) !== 0) fchmodSync(fd, st.mode & 0o700);
    } catch (e) {
      log.warn('making the log private', { fd, err: e });
    }
  }
}
