import type { ImageRecord } from './image-index.js';

/** Docker's parent links between local images: build steps and commits name the image they were made on. */

const named = (i: ImageRecord) => i.repoTags.length > 0 || i.repoDigests.length > 0;

/** ids of the images some other image was made on */
export function parentIds(images: Iterable<ImageRecord>): Set<string> {
  const parents = new Set<string>();
  for (const i of images) if (i.parent) parents.add(i.parent);
  return parents;
}

/**
 * What `docker images` shows without `-a`: every image but the intermediates, which are
 * unnamed images another image was made on (a build's earlier steps).
 */
export function topImages(images: ImageRecord[]): ImageRecord[] {
  const parents = parentIds(images);
  return images.filter((i) => named(i) || !parents.has(i.id));
}

/**
 * The parents `rmi` removes with an image, as dockerd does: walking up from the removed
 * image's parent while each one is unnamed, unused by containers and made on by no other
 * image. `images` no longer holds the removed image.
 */
export function unreferencedParents(images: ReadonlyMap<string, ImageRecord>, removed: ImageRecord, used: (id: string) => boolean): ImageRecord[] {
  const children = new Map<string, number>();
  for (const i of images.values()) if (i.parent) children.set(i.parent, (children.get(i.parent) ?? 0) + 1);
  const out: ImageRecord[] = [];
  for (let id = removed.parent; id && !out.some((o) => o.id === id); ) {
    const p = images.get(id);
    if (!p || named(p) || used(p.id) || (children.get(p.id) ?? 0) > 0) break;
    out.push(p);
    // the next one up loses this child
    if (p.parent) children.set(p.parent, (children.get(p.parent) ?? 1) - 1);
    id = p.parent;
  }
  return out;
}

/**
 * dockerd's dangling prune: the images nothing was made on that `eligible` (untagged) takes
 * and no container uses, with the unnamed parents only they were made on. An unnamed step
 * of a named image's build stays: it is that image's build cache.
 */
export function danglingChains(images: ImageRecord[], eligible: (i: ImageRecord) => boolean, used: (id: string) => boolean): ImageRecord[] {
  const left = new Map(images.map((i) => [i.id, i]));
  const parents = parentIds(images);
  const heads = images.filter((i) => !parents.has(i.id) && eligible(i) && !used(i.id));
  for (const h of heads) left.delete(h.id);
  const out = [...heads];
  for (const h of heads) {
    for (const p of unreferencedParents(left, h, used)) {
      left.delete(p.id);
      out.push(p);
    }
  }
  return out;
}
