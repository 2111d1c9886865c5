/**
 * One model file, two providers: Prisma needs the provider fixed per schema, so
 * prisma/models.prisma is wrapped into prisma/sqlite/schema.prisma and
 * prisma/postgresql/schema.prisma (each with its own generated client and migrations).
 */
import { readFileSync, writeFileSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';

const prismaDir = join(import.meta.dirname, '../../../prisma');
const models = readFileSync(join(prismaDir, 'models.prisma'), 'utf8');
for (const provider of ['sqlite', 'postgresql']) {
  mkdirSync(join(prismaDir, provider), { recursive: true });
  writeFileSync(
    join(prismaDir, provider, 'schema.prisma'),
    `// GENERATED from ../models.prisma by packages/db/scripts/schemas.ts: edit that file instead.

generator client {
  provider     = "prisma-client"
  output       = "../../packages/db/generated/${provider}"
  moduleFormat = "esm"
}

datasource db {
  provider = "${provider}"
}

${models}`,
  );
}
