import { SkiffError } from '../errors.js';

/**
 * The format version of every file the agent reads back, in one place. A file without a
 * version is 1: what releases before versioning wrote. Bump a number only when that
 * file's format changes, and add the step from the old version to `migrations` of its
 * reader (see `readVersioned`), so a newer agent carries an older root forward. A release
 * that meets a version above these refuses the file (FormatTooNew) instead of guessing.
 * Files without a number of their own (layers/<id>/meta.json, ipam.json, endpoints,
 * build-cache.json, host-id) follow the root's: changing one of them bumps `root`.
 */
export const FORMAT = {
  /** `<root>/format`: the root's layout as a whole */
  root: 1,
  /** `containers/<id>/config.json` (ContainerRecord) */
  container: 1,
  /** `containers/<id>/state.json` (ContainerState) */
  containerState: 1,
  /** `shim.conf` and exec confs: the `version=` line (native/shim/shim.h SHIM_CONF_VERSION) */
  shimConf: 1,
  /** `exit.json`, written by the shim (native/shim/shim.h EXIT_RECORD_VERSION) */
  exitRecord: 1,
  /** the attach/exec protocol a running shim speaks (`shim-protocol.json`; native/shim/shim.h SHIM_PROTOCOL_VERSION) */
  shimProtocol: 1,
  /** `images/index.json` snapshot (its journal lines share its version) */
  imageIndex: 1,
  /** `networks/<id>/network.json` */
  network: 1,
  /** `volumes/<name>/meta.json` */
  volume: 1,
} as const;

/** A file written by a newer release than this one: refused, never rewritten. */
export class FormatTooNew extends SkiffError {
  constructor(
    readonly file: string,
    readonly found: number,
    readonly supported: number,
  ) {
    super(
      'UNAVAILABLE',
      `${file} has format version ${found}, but this Skiff understands version ${supported} at most: it was written by a newer release (upgrade Skiff, or see "Upgrade" in docs/operations.md for rolling back)`,
    );
  }
}

/** A step from version n (the key) to n+1 over the parsed JSON. */
export type Migrations = Readonly<Record<number, (json: Record<string, unknown>) => Record<string, unknown>>>;

/**
 * The version a file declares (1 when it has none), refused above `supported`. `found` is
 * whatever the file's `version` held; anything but a positive integer is damage.
 */
export function checkVersion(file: string, found: unknown, supported: number): number {
  if (found === undefined) return 1;
  if (typeof found !== 'number' || !Number.isInteger(found) || found < 1) {
    throw new SkiffError('INTERNAL', `${file} has an invalid format version ${JSON.stringify(found)}`);
  }
  if (found > supported) throw new FormatTooNew(file, found, supported);
  return found;
}

/**
 * A parsed JSON object with its `version` checked, migrated up to `current` and removed:
 * what the caller gets is always the current shape, as if this release had written it.
 */
export function readVersioned<T>(file: string, json: unknown, current: number, migrations: Migrations = {}): T {
  if (typeof json !== 'object' || json === null || Array.isArray(json)) {
    throw new SkiffError('INTERNAL', `${file} is not a JSON object`);
  }
  const { version, ...rest } = json as Record<string, unknown>;
  let at = checkVersion(file, version, current);
  let data: Record<string, unknown> = rest;
  for (; at < current; at++) {
    const step = migrations[at];
    if (!step) throw new SkiffError('INTERNAL', `${file}: no migration from format version ${at} to ${at + 1}`);
    data = step(data);
  }
  return data as T;
}

/** `value` as it is written to disk: the current version first, so a reader sees it at once. */
export function withVersion<T extends object>(version: number, value: T): { version: number } & T {
  return { version, ...value };
}
