import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Logger } from '@skiff/logger';
import { z } from 'zod';
import { CertificateManager } from './manager.ts';

const EnvSchema = z.object({
  SKIFF_ACME_DIRECTORY: z
    .url({ protocol: /^https$/, error: 'SKIFF_ACME_DIRECTORY must be an https:// URL' })
    .max(2048)
    .optional(),
  SKIFF_ACME_EMAIL: z.email({ error: 'SKIFF_ACME_EMAIL must be an email address' }).max(254).optional(),
  /** a PEM file the ACME server's certificate chains to (a private CA, Pebble) */
  SKIFF_ACME_CA_BUNDLE: z.string().min(1).max(4096).optional(),
});

/**
 * The agent's certificate manager from its environment: certificates under
 * `<root>/certs`; ACME when SKIFF_ACME_DIRECTORY is set (contact SKIFF_ACME_EMAIL,
 * extra CA from SKIFF_ACME_CA_BUNDLE), otherwise uploads and placeholders only.
 * Throws (zod) on a malformed value so the daemon refuses to start half-configured.
 */
export function certificateManagerFromEnv(root: string, logger: Logger, env: NodeJS.ProcessEnv = process.env): CertificateManager {
  const blankless = Object.fromEntries(Object.entries(env).filter(([, v]) => v !== undefined && v !== ''));
  const cfg = EnvSchema.parse(blankless);
  if (cfg.SKIFF_ACME_EMAIL && !cfg.SKIFF_ACME_DIRECTORY) {
    logger.warn('SKIFF_ACME_EMAIL is set without SKIFF_ACME_DIRECTORY; ACME stays off', { component: 'certs' });
  }
  const acme = cfg.SKIFF_ACME_DIRECTORY
    ? {
        directoryUrl: cfg.SKIFF_ACME_DIRECTORY,
        email: cfg.SKIFF_ACME_EMAIL,
        caBundle: cfg.SKIFF_ACME_CA_BUNDLE ? readFileSync(cfg.SKIFF_ACME_CA_BUNDLE, 'utf8') : undefined,
      }
    : undefined;
  return new CertificateManager({ dir: join(root, 'certs'), acme, logger });
}
