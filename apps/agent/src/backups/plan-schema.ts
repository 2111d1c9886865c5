import { isAbsolute, normalize } from 'node:path';
import { z } from 'zod';

/*
 * A backup plan as callers give it and as it is stored (the target and the destination are
 * JSON columns, parsed with these schemas whenever they are read back: the database is an
 * edge too). The S3 secret arrives in clear and is stored only sealed (SecretBox).
 */

export const planName = z
  .string()
  .regex(/^[a-z0-9][a-z0-9_.-]{0,62}$/, 'lower-case letters, digits, ".", "_" and "-", starting with a letter or digit, at most 63')
  .refine((n) => n !== '.' && n !== '..');

const containerRef = z.string().min(1).max(255);
const volumeRef = z.string().regex(/^[a-zA-Z0-9][a-zA-Z0-9_.-]{0,254}$/, 'a volume name');
const command = z.array(z.string().min(1).max(4096)).min(1).max(256);

/** a command run by exec in a container before / after a volume is read (flush, lock) */
export const hookSchema = z.object({ container: containerRef, pre: command.optional(), post: command.optional() }).strict();

export const DB_ENGINES = ['postgres', 'mysql'] as const;
export type DbEngine = (typeof DB_ENGINES)[number];

export const volumeTarget = z
  .object({
    kind: z.literal('volume'),
    volume: volumeRef,
    /** pause the running containers that mount the volume while it is read */
    pause: z.boolean().default(false),
    hook: hookSchema.optional(),
  })
  .strict();

export const databaseTarget = z
  .object({
    kind: z.literal('database'),
    container: containerRef,
    /** detected from the container's image and environment when not given */
    engine: z.enum(DB_ENGINES).optional(),
    /** one database; every database of the server when not given */
    database: z.string().min(1).max(63).optional(),
    user: z.string().min(1).max(63).optional(),
  })
  .strict();

export const targetSchema = z.discriminatedUnion('kind', [volumeTarget, databaseTarget]);
export type Target = z.infer<typeof targetSchema>;
/** a database target once its engine is known (what is stored) */
export type DatabaseTarget = z.infer<typeof databaseTarget> & { engine: DbEngine };

const absolutePath = z
  .string()
  .min(1)
  .max(4096)
  .refine((p) => isAbsolute(p) && !p.includes('\0'), 'an absolute path')
  .transform((p) => normalize(p).replace(/(.)\/+$/, '$1'));

const s3Common = {
  kind: z.literal('s3'),
  /** http(s)://host[:port] of an S3-compatible service */
  endpoint: z.url({ protocol: /^https?$/ }).max(2048),
  bucket: z.string().regex(/^[a-z0-9][a-z0-9.-]{1,62}$/, 'an S3 bucket name'),
  prefix: z
    .string()
    .max(512)
    .regex(/^[A-Za-z0-9!_.*'()/-]*$/, "letters, digits and !_.*'()/- only")
    .refine((p) => !p.split('/').some((s) => s === '..'), 'no ".." segments')
    .default(''),
  region: z.string().min(1).max(64).default('us-east-1'),
  accessKey: z.string().min(1).max(256),
};

export const destinationInput = z.discriminatedUnion('kind', [
  z.object({ kind: z.literal('local'), path: absolutePath }).strict(),
  z.object({ ...s3Common, secretKey: z.string().min(1).max(1024) }).strict(),
]);
export type DestinationInput = z.infer<typeof destinationInput>;

export const storedDestination = z.discriminatedUnion('kind', [
  z.object({ kind: z.literal('local'), path: absolutePath }).strict(),
  z.object({ ...s3Common, secretEncrypted: z.string().min(1) }).strict(),
]);
export type StoredDestination = z.infer<typeof storedDestination>;

export const COMPRESSIONS = ['zstd', 'gzip'] as const;
export type Compression = (typeof COMPRESSIONS)[number];

export const retentionSchema = z
  .object({
    keepLast: z.number().int().min(1).max(100_000).optional(),
    keepDays: z.number().int().min(1).max(36_500).optional(),
  })
  .strict();

export const planInput = z
  .object({
    name: planName,
    target: targetSchema,
    destination: destinationInput,
    /** cron (5 fields, or 6 with seconds); none: runs only when asked */
    schedule: z.string().min(1).max(200).optional(),
    compression: z.enum(COMPRESSIONS).default('zstd'),
    retention: retentionSchema.default({}),
    enabled: z.boolean().default(true),
  })
  .strict();
export type PlanInput = z.infer<typeof planInput>;

/** an update: the same fields, each optional; a destination replaces the old one whole (secret included) */
export const planUpdate = z
  .object({
    name: planName,
    target: targetSchema.optional(),
    destination: destinationInput.optional(),
    schedule: z.string().min(1).max(200).nullable().optional(),
    compression: z.enum(COMPRESSIONS).optional(),
    retention: retentionSchema.optional(),
    enabled: z.boolean().optional(),
  })
  .strict();
export type PlanUpdate = z.infer<typeof planUpdate>;
