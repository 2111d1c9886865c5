/** A DATABASE_URL Skiff cannot use. `code` matches @skiff/runtime's SkiffError codes. */
export class InvalidDatabaseUrl extends Error {
  readonly code = 'INVALID_ARGUMENT';
  override name = 'InvalidDatabaseUrl';
}

function prismaCode(err: unknown): string | undefined {
  const code = (err as { code?: unknown } | null)?.code;
  return typeof code === 'string' ? code : undefined;
}

/** A unique constraint refused the write (Prisma P2002): map to a CONFLICT. */
export function isUniqueViolation(err: unknown): boolean {
  return prismaCode(err) === 'P2002';
}

/** An update/delete found no record (Prisma P2025): map to NOT_FOUND. */
export function isRecordNotFound(err: unknown): boolean {
  return prismaCode(err) === 'P2025';
}

/** A relation points at a missing record (Prisma P2003). */
export function isForeignKeyViolation(err: unknown): boolean {
  return prismaCode(err) === 'P2003';
}
