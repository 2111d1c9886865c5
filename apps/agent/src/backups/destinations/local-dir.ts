import { closeSync, constants, createReadStream, createWriteStream, mkdirSync, openSync, renameSync, unlinkSync } from 'node:fs';
import type { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { logger } from '@skiff/logger';
import { NotFound } from '@skiff/runtime';
import { checkKey } from '../artifact-key.js';
import type { Destination } from './destination.js';

const log = logger.child({ component: 'backup' });
const { O_RDONLY, O_WRONLY, O_CREAT, O_EXCL, O_NOFOLLOW, O_DIRECTORY } = constants;

/** a path through an open directory fd: what is below is found from that directory, never re-resolved */
const at = (fd: number, name: string) => `/proc/self/fd/${fd}/${name}`;

/**
 * Archives in a directory on the host: `<dir>/<plan>/<file>`, 0600 in 0700 directories
 * (a backup holds whatever the volume or database held). The plan directory and the files
 * are opened with O_NOFOLLOW from the directory's fd, so a symlink planted there (the
 * directory may be one a container can write) cannot redirect a write or a read.
 */
export class LocalDirectory implements Destination {
  constructor(private readonly dir: string) {}

  get describe(): string {
    return this.dir;
  }

  private planDir(plan: string, create: boolean): number {
    if (create) mkdirSync(this.dir, { recursive: true, mode: 0o700 });
    const top = openSync(this.dir, O_RDONLY | O_DIRECTORY);
    try {
      if (create) {
        try {
          mkdirSync(at(top, plan), { mode: 0o700 });
        } catch (e) {
          if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw e;
        }
      }
      return openSync(at(top, plan), O_RDONLY | O_DIRECTORY | O_NOFOLLOW);
    } finally {
      closeSync(top);
    }
  }

  async put(key: string, body: Readable): Promise<void> {
    const [plan, file] = checkKey(key).split('/') as [string, string];
    const dir = this.planDir(plan, true);
    const partial = `${file}.partial`;
    try {
      const fd = openSync(at(dir, partial), O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW, 0o600);
      try {
        await pipeline(body, createWriteStream('', { fd, flush: true }));
        renameSync(at(dir, partial), at(dir, file));
      } catch (e) {
        try {
          unlinkSync(at(dir, partial));
        } catch (e2) {
          log.warn('removing a partial backup failed', { dir: this.dir, key, err: e2 });
        }
        throw e;
      }
    } finally {
      closeSync(dir);
    }
  }

  async get(key: string): Promise<Readable> {
    const [plan, file] = checkKey(key).split('/') as [string, string];
    let dir: number;
    try {
      dir = this.planDir(plan, false);
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === 'ENOENT') throw new NotFound(`backup ${key} is not in ${this.dir}`);
      throw e;
    }
    try {
      const fd = openSync(at(dir, file), O_RDONLY | O_NOFOLLOW);
      return createReadStream('', { fd });
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === 'ENOENT') throw new NotFound(`backup ${key} is not in ${this.dir}`);
      throw e;
    } finally {
      closeSync(dir);
    }
  }

  async remove(key: string): Promise<void> {
    const [plan, file] = checkKey(key).split('/') as [string, string];
    let dir: number;
    try {
      dir = this.planDir(plan, false);
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === 'ENOENT') return;
      throw e;
    }
    try {
      unlinkSync(at(dir, file));
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'ENOENT') throw e;
    } finally {
      closeSync(dir);
    }
  }
}
