/** The JSON text of a list, kept as each item's UTF-8 bytes: joined only into the buffer that is sent. */
export interface ListJson {
  /** each item's JSON text */
  readonly parts: readonly Buffer[];
  /** the length of `[a,b,…]` */
  readonly bytes: number;
}

/** how many objects deep an item is checked for frozenness before it is not cached */
const MAX_DEPTH = 32;

/**
 * Whether `value` is plain JSON data that cannot change: primitives, and arrays and plain
 * objects frozen all the way down, without toJSON. A Date or a class instance (frozen, yet
 * `setTime` still works) is not. Walked with for-in and indexes, which allocate nothing: this
 * runs for every summary that changed, and at 500 young containers that is all of them each
 * second (their "Up N seconds" ticks). An accessor on a frozen plain object is read like data.
 */
function deeplyFrozenData(value: unknown, depth = 0): boolean {
  if (value === null || typeof value !== 'object') return typeof value !== 'function' && typeof value !== 'symbol' && typeof value !== 'bigint';
  if (depth > MAX_DEPTH || !Object.isFrozen(value)) return false;
  const proto = Object.getPrototypeOf(value) as unknown;
  if (Array.isArray(value)) {
    if (proto !== Array.prototype) return false;
    for (let i = 0; i < value.length; i++) if (!deeplyFrozenData(value[i], depth + 1)) return false;
    return true;
  }
  if (proto !== Object.prototype && proto !== null) return false;
  for (const key in value) {
    if (key === 'toJSON' || !deeplyFrozenData((value as Record<string, unknown>)[key], depth + 1)) return false;
  }
  return true;
}

/**
 * JSON bytes of lists that cannot change, cached by the list's identity. The runtime hands
 * out the same deeply frozen array for `ps` while no container in it changed, and the same
 * frozen summary for a container that did not: at 1000 containers, stringifying the 360 kB
 * answer again on every call was most of a call's time and garbage (docs/performance.md,
 * Density). Only what is frozen all the way down is kept (checked once, when first seen),
 * so a cached text can never go stale; both maps are weak, so nothing outlives its list.
 */
export class FrozenListJson {
  private readonly lists = new WeakMap<readonly unknown[], ListJson>();
  private readonly items = new WeakMap<object, Buffer>();

  /** the JSON of `value` when it is a deeply frozen array, else undefined */
  of(value: unknown): ListJson | undefined {
    if (!Array.isArray(value) || !Object.isFrozen(value)) return undefined;
    const known = this.lists.get(value);
    if (known !== undefined) return known;
    const parts = new Array<Buffer>(value.length);
    let bytes = value.length ? value.length + 1 : 2;
    for (let i = 0; i < value.length; i++) {
      const part = this.item(value[i]);
      if (part === undefined) return undefined;
      bytes += (parts[i] = part).length;
    }
    const json: ListJson = { parts, bytes };
    this.lists.set(value, json);
    return json;
  }

  private item(v: unknown): Buffer | undefined {
    const isObject = typeof v === 'object' && v !== null;
    if (isObject) {
      const known = this.items.get(v);
      if (known !== undefined) return known;
    }
    if (!deeplyFrozenData(v)) return undefined;
    const part = Buffer.from(JSON.stringify(v) ?? 'null'); // undefined in an array is null
    if (isObject) this.items.set(v, part);
    return part;
  }
}

/** writes `[a,b,…]` into `out` at `at`; returns the offset after it */
export function writeJsonArray(list: ListJson, out: Buffer, at: number): number {
  out[at++] = 0x5b; // [
  const parts = list.parts;
  for (let i = 0; i < parts.length; i++) {
    if (i) out[at++] = 0x2c; // ,
    at += parts[i]!.copy(out, at);
  }
  out[at++] = 0x5d; // ]
  return at;
}
