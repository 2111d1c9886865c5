import type { ImageSummary as DockerImageSummary } from '@skiff/docker-types';
import { filterImages } from '../image-filter.js';
import type { ImageBackend } from './backend.js';
import { queryFilters } from './query.js';
import { dockerImageSummary } from '../docker-json/image-summary.js';

/** `GET /images/json` as dockerd lists, with its filters (image-filter.ts) */
export async function listImages(runtime: ImageBackend, url: URL, all: boolean): Promise<DockerImageSummary[]> {
  const images = await filterImages(await runtime.images.list({ all }), queryFilters(url), (ref) => runtime.images.inspect(ref));
  return images.map((i) => dockerImageSummary(i));
}
