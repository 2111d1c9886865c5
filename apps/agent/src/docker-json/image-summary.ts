import type { ImageSummary as DockerImageSummary } from '@skiff/docker-types';
import type { ImageSummary } from '@skiff/runtime';

const unixSeconds = (iso: string) => (iso ? Math.floor(Date.parse(iso) / 1000) : 0);

/**
 * Docker's `GET /images/json` entry for one of the runtime's images: the one mapping behind
 * `docker images` and `system df`. The list does not count sharing or users (-1, as dockerd
 * when it was not asked to); `system df` passes both.
 */
export function dockerImageSummary(
  i: ImageSummary,
  counts: { sharedSize: number; containers: number } = { sharedSize: -1, containers: -1 },
): DockerImageSummary {
  return {
    Id: i.id,
    ParentId: i.parentId,
    RepoTags: i.repoTags,
    RepoDigests: i.repoDigests,
    Created: unixSeconds(i.created),
    Size: i.size,
    SharedSize: counts.sharedSize,
    Labels: Object.keys(i.labels).length ? i.labels : null,
    Containers: counts.containers,
  };
}
