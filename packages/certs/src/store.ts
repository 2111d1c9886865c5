import { readdir, unlink } from 'node:fs/promises';
import { join } from 'node:path';
import type { Logger } from '@skiff/logger';
import { z } from 'zod';
import { normalizeDomain } from './domain.ts';
import { MAX_CHAIN_BYTES, MAX_KEY_BYTES } from './pem.ts';
import { ensurePrivateDir, readFileSafe, TEMP_PREFIX, writeFileAtomic } from './safe-fs.ts';

/** one file per domain holds key and chain together, so one rename swaps both at once */
const StoredSchema = z.object({
  version: z.literal(1),
  domain: z.string().max(260),
  source: z.enum(['acme', 'custom']),
  certPem: z.string().max(MAX_CHAIN_BYTES),
  keyPem: z.string().max(MAX_KEY_BYTES),
  storedAt: z.string().max(40),
});
export type StoredCert = z.infer<typeof StoredSchema>;

const AccountSchema = z.object({ directoryUrl: z.string().max(2048), url: z.string().max(2048) });
export type StoredAccount = z.infer<typeof AccountSchema>;

const MAX_FILE = MAX_CHAIN_BYTES + MAX_KEY_BYTES + 4096;
const ACCOUNT_KEY = 'account-key.pem';
const ACCOUNT = 'account.json';

/**
 * The on-disk layout under `dir` (0700): `account-key.pem` (the ACME account key, 0600),
 * `account.json` (its URL at the directory) and
 * `domains/<name>.json` (0600). `*.example.com` is stored as `_.example.com.json`; '_' is
 * never in a validated hostname, so the two cannot collide.
 */
export class CertStore {
  readonly domainsDir: string;

  constructor(
    readonly dir: string,
    private readonly log: Logger,
  ) {
    this.domainsDir = join(dir, 'domains');
  }

  async init(): Promise<void> {
    await ensurePrivateDir(this.dir);
    await ensurePrivateDir(this.domainsDir);
  }

  private fileFor(domain: string): string {
    return join(this.domainsDir, `${domain.replace(/^\*\./, '_.')}.json`);
  }

  async save(cert: Omit<StoredCert, 'version' | 'storedAt'>): Promise<void> {
    const body: StoredCert = { version: 1, ...cert, storedAt: new Date().toISOString() };
    await writeFileAtomic(this.fileFor(cert.domain), `${JSON.stringify(body)}\n`);
  }

  async remove(domain: string): Promise<boolean> {
    try {
      await unlink(this.fileFor(domain));
      return true;
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === 'ENOENT') return false;
      throw e;
    }
  }

  /**
   * Every stored certificate that parses; a file that is a symlink, too large, not JSON,
   * or filed under another name is logged and skipped, never served. Leftover temp files
   * (a crash between write and rename) are removed.
   */
  async loadAll(): Promise<StoredCert[]> {
    const out: StoredCert[] = [];
    for (const name of await readdir(this.domainsDir)) {
      const path = join(this.domainsDir, name);
      if (name.startsWith(TEMP_PREFIX)) {
        this.log.warn('removing a partial certificate write left by a crash', { path });
        await unlink(path).catch((e: unknown) => this.log.warn('could not remove partial write', { path, err: e }));
        continue;
      }
      if (!name.endsWith('.json')) continue;
      try {
        const parsed = StoredSchema.parse(JSON.parse(await readFileSafe(path, MAX_FILE)));
        const domain = normalizeDomain(parsed.domain, { allowWildcard: parsed.source === 'custom' });
        if (this.fileFor(domain) !== path) throw new Error(`file holds ${domain}, not its own name`);
        out.push({ ...parsed, domain });
      } catch (e) {
        this.log.error('ignoring an unreadable stored certificate', { path, err: e });
      }
    }
    return out;
  }

  async readAccountKey(): Promise<string | undefined> {
    try {
      return await readFileSafe(join(this.dir, ACCOUNT_KEY), MAX_KEY_BYTES);
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
      throw e;
    }
  }

  async writeAccountKey(pem: string): Promise<void> {
    await writeFileAtomic(join(this.dir, ACCOUNT_KEY), pem);
  }

  /** the account's URL at its directory; undefined when missing or unreadable (re-found then) */
  async readAccount(): Promise<StoredAccount | undefined> {
    try {
      return AccountSchema.parse(JSON.parse(await readFileSafe(join(this.dir, ACCOUNT), 8192)));
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'ENOENT') this.log.warn('ignoring the stored ACME account URL', { err: e });
      return undefined;
    }
  }

  async writeAccount(account: StoredAccount): Promise<void> {
    await writeFileAtomic(join(this.dir, ACCOUNT), `${JSON.stringify(account)}\n`);
  }
}
