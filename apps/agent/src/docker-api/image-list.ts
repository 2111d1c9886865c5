import type { ImageSummary as DockerImageSummary } from '@skiff/docker-types';
import { filterImages } from '../image-filter.js';
import type { ImageBackend } from './backend.js';
import { queryFilters, unixSeconds } from './query.js';

/** `GET /images/json` as dockerd lists, with its filters (image-filter.ts) */
export async function listImages(runtime: ImageBackend, url: URL, all: boolean): Promise<DockerImageSummary[]> {
  const images = await filterImages(await runtime.images.list({ all }), queryFilters(url), (ref) => runtime.images.inspect(ref));
  return images.map((i) => ({
    Id: i.id,
    ParentId: i.parentId,
    RepoTags: i.repoTags,
    RepoDigests: i.repoDigests,
    Created: unixSeconds(i.created),
    Size: i.size,
    SharedSize: -1,
    Labels: Object.keys(i.labels).length ? i.labels : null,
    Containers: -1,
  }));
}
