import type { Db } from '@skiff/db';
import { hashPassword, hashToken, newSecret } from './secrets.js';

export const SETUP_TOKEN_SETTING = 'setupTokenHash';

/**
 * First start: with SKIFF_ADMIN_PASSWORD an `admin` user is created; otherwise a one-time
 * setup link is printed (its token is stored hashed, and it dies once an admin exists).
 */
export async function bootstrapAdmin(db: Db, opts: { adminPassword?: string; baseUrl?: string; log: (line: string) => void }): Promise<void> {
  if ((await db.user.count()) > 0) {
    await db.setting.deleteMany({ where: { key: SETUP_TOKEN_SETTING } });
    return;
  }
  if (opts.adminPassword) {
    await db.user.create({ data: { username: 'admin', passwordHash: await hashPassword(opts.adminPassword), role: 'admin' } });
    opts.log('skiff: created the admin user "admin" from SKIFF_ADMIN_PASSWORD');
    return;
  }
  const token = newSecret(24);
  await db.setting.upsert({
    where: { key: SETUP_TOKEN_SETTING },
    create: { key: SETUP_TOKEN_SETTING, value: hashToken(token) },
    update: { value: hashToken(token) },
  });
  opts.log(
    `skiff: no users yet. Create the admin at ${opts.baseUrl ?? 'http://127.0.0.1:7777'}/setup?token=${token}  (or: skiff user create --role admin NAME on this host)`,
  );
}
