import { z } from 'zod';

/**
 * The shapes of what a registry sends (manifests, indexes, image configs), checked before
 * the pull reads them: a hostile registry's `null` manifest or string `layers` is an
 * InvalidArgument, not a TypeError. Unknown fields are kept (registries add their own).
 */
const size = z.number().int().nonnegative().max(Number.MAX_SAFE_INTEGER);

export const descriptorSchema = z.looseObject({
  mediaType: z.string().optional(),
  digest: z.string(),
  size,
  platform: z.looseObject({ os: z.string().optional(), architecture: z.string().optional(), variant: z.string().optional() }).nullish(),
});

/** a manifest or an index, before it is known which */
export const topManifestSchema = z.looseObject({
  mediaType: z.string().optional(),
  manifests: z.array(descriptorSchema).optional(),
});

export const imageManifestSchema = z.looseObject({
  schemaVersion: z.number(),
  mediaType: z.string().optional(),
  config: descriptorSchema,
  layers: z.array(descriptorSchema),
});

const strings = z.array(z.string()).nullish();
const objectMap = z.record(z.string(), z.unknown()).nullish();

export const imageConfigBlobSchema = z.looseObject({
  created: z.string().nullish(),
  architecture: z.string().nullish(),
  os: z.string().nullish(),
  config: z
    .looseObject({
      User: z.string().nullish(),
      Env: strings,
      Entrypoint: strings,
      Cmd: strings,
      WorkingDir: z.string().nullish(),
      Labels: z.record(z.string(), z.string()).nullish(),
      ExposedPorts: objectMap,
      Volumes: objectMap,
      StopSignal: z.string().nullish(),
      Healthcheck: z.looseObject({ Test: strings }).nullish(),
      Shell: strings,
    })
    .nullish(),
  rootfs: z.looseObject({ type: z.string().optional(), diff_ids: z.array(z.string()) }).nullish(),
});
