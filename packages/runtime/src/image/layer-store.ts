import { randomBytes } from 'node:crypto';
import { mkdir, readdir, readFile, rename, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { Readable } from 'node:stream';
import { InvalidArgument } from '../errors.js';
import { digestHex } from '../store/blob-store.js';
import { unpackLayer } from './layer-unpack.js';

/** `layers/<chainid-hex>/meta.json` */
export interface LayerMeta {
  chainID: string;
  /** ChainID of the layer below, absent for a base layer */
  parent?: string;
  diffID: string;
  /** the compressed blob it was unpacked from */
  digest: string;
  /** unpacked bytes */
  size: number;
}

export interface LayerEnsureOptions {
  signal?: AbortSignal;
  /** runs first when this caller does the unpack (e.g. downloading the blob `open` reads) */
  before?: () => Promise<void>;
  /** the unpack itself starts */
  onStart?: () => void;
}

const isAbort = (e: unknown) => (e as Error | undefined)?.name === 'AbortError';

/**
 * Unpacked layers, one directory per ChainID, shared by every image and container that
 * uses them. A layer is unpacked under `tmp/` and renamed into place complete with its
 * meta.json, so `layers/` only ever holds finished layers.
 */
export class LayerStore {
  readonly dir: string;
  private readonly inflight = new Map<string, { work: Promise<LayerMeta>; signal?: AbortSignal }>();

  constructor(
    root: string,
    private readonly tmp: string,
  ) {
    this.dir = join(root, 'layers');
  }

  async init(): Promise<void> {
    // setuid binaries and device nodes of images live below: root's alone (private-root.ts)
    await mkdir(this.dir, { recursive: true, mode: 0o700 });
  }

  path(chainID: string): string {
    return join(this.dir, digestHex(chainID));
  }

  /** the overlay lower dir */
  fsPath(chainID: string): string {
    return join(this.path(chainID), 'fs');
  }

  async meta(chainID: string): Promise<LayerMeta | undefined> {
    const text = await readFile(join(this.path(chainID), 'meta.json'), 'utf8').catch(() => undefined);
    return text ? (JSON.parse(text) as LayerMeta) : undefined;
  }

  /** ChainIDs of every layer on disk */
  async list(): Promise<string[]> {
    return (await readdir(this.dir)).filter((n) => /^[a-f0-9]{64}$/.test(n)).map((hex) => `sha256:${hex}`);
  }

  async remove(chainID: string): Promise<void> {
    await rm(this.path(chainID), { recursive: true, force: true });
  }

  /**
   * Makes sure `layer` is on disk, unpacking `open()` if it is not. Concurrent callers share
   * one unpack; if that one was cancelled by its own caller's signal, the others retry.
   * Throws InvalidArgument when the content does not hash to the expected diffID.
   */
  async ensure(layer: Omit<LayerMeta, 'size'>, open: () => Readable, opts: LayerEnsureOptions = {}): Promise<{ meta: LayerMeta; existed: boolean }> {
    for (;;) {
      const running = this.inflight.get(layer.chainID);
      if (!running) break;
      try {
        return { meta: await running.work, existed: true };
      } catch (e) {
        if (opts.signal?.aborted || !isAbort(e) || !running.signal?.aborted) throw e;
        // someone else's cancelled unpack: try again ourselves
      }
    }
    const existing = await this.meta(layer.chainID);
    if (existing) return { meta: existing, existed: true };
    const work = this.unpack(layer, open, opts);
    this.inflight.set(layer.chainID, { work, signal: opts.signal });
    try {
      return { meta: await work, existed: false };
    } finally {
      this.inflight.delete(layer.chainID);
    }
  }

  private async unpack(layer: Omit<LayerMeta, 'size'>, open: () => Readable, opts: LayerEnsureOptions): Promise<LayerMeta> {
    await opts.before?.();
    opts.onStart?.();
    const tmp = join(this.tmp, `layer-${digestHex(layer.chainID).slice(0, 16)}-${randomBytes(4).toString('hex')}`);
    await mkdir(join(tmp, 'fs'), { recursive: true });
    try {
      const result = await unpackLayer(open(), join(tmp, 'fs'), opts.signal);
      if (result.diffID !== layer.diffID) {
        throw new InvalidArgument(`layer ${layer.digest} does not match the image config: uncompressed digest ${result.diffID}, expected ${layer.diffID}`);
      }
      const meta: LayerMeta = { ...layer, size: result.size };
      await writeFile(join(tmp, 'meta.json'), JSON.stringify(meta));
      await rename(tmp, this.path(layer.chainID)).catch(async (e: NodeJS.ErrnoException) => {
        if (e.code !== 'ENOTEMPTY' && e.code !== 'EEXIST') throw e;
        await rm(tmp, { recursive: true, force: true }); // another process won the race; same content
      });
      return meta;
    } catch (e) {
      await rm(tmp, { recursive: true, force: true });
      throw e;
    }
  }
}
