import { InvalidArgument, NotFound } from '../errors.js';
import { digestHex } from '../store/blob-store.js';
import type { ImageInspect, ImageSummary } from '../types.js';
import type { ImageRecord } from './image-index.js';
import { familiarName, familiarTag, parseReference } from './reference.js';

/**
 * Finds an image by id (or unique id prefix), `repo:tag` or `repo@digest`; `byName` is the
 * name it was found by (remove and save act on that name only).
 */
export function findImage(images: ImageRecord[], refOrId: string): { image: ImageRecord; byName?: string } {
  const s = refOrId.trim();
  const idMatch = /^(?:sha256:)?([0-9a-f]{4,64})$/.exec(s);
  if (idMatch) {
    const hits = images.filter((i) => digestHex(i.id).startsWith(idMatch[1]!));
    if (hits.length > 1) throw new InvalidArgument(`ambiguous image id prefix ${s}`);
    if (hits.length === 1) return { image: hits[0]! };
    if (s.startsWith('sha256:') || s.length === 64) throw new NotFound(`no such image: ${s}`);
  }
  const ref = parseReference(s);
  if (ref.digest) {
    const rd = `${familiarName(ref)}@${ref.digest}`;
    const image = images.find(
      (i) => i.repoDigests.includes(rd) || (i.manifestDigest === ref.digest && i.repoDigests.some((d) => d.startsWith(`${familiarName(ref)}@`))),
    );
    if (image) return { image, byName: rd };
  } else {
    const tag = familiarTag(ref);
    const image = images.find((i) => i.repoTags.includes(tag));
    if (image) return { image, byName: tag };
  }
  throw new NotFound(`no such image: ${s}`);
}

export function imageSummary(i: ImageRecord): ImageSummary {
  return {
    id: i.id,
    repoTags: [...i.repoTags],
    repoDigests: [...i.repoDigests],
    created: i.created,
    size: i.size,
    labels: { ...i.config.Labels },
    parentId: i.parent ?? '',
  };
}

export function imageInspect(i: ImageRecord): ImageInspect {
  return {
    ...imageSummary(i),
    architecture: i.architecture,
    os: i.os,
    config: i.config,
    rootFS: { type: 'layers', diffIDs: i.layers.map((l) => l.diffID) },
    manifestDigest: i.manifestDigest,
    layers: i.layers.map((l) => ({ ...l })),
  };
}
