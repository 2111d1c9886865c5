import type { ImageInspect as DockerImageInspect } from '@skiff/docker-types';
import type { ImageInspect } from '@skiff/runtime';

/**
 * An image as dockerd's `GET /images/{name}/json` gives it; `skiff inspect IMAGE` prints the
 * same, so the CLI and the Docker API show one shape. Only types from the runtime: the CLI
 * bundle takes this module.
 */
export function imageJson(i: ImageInspect): DockerImageInspect {
  return {
    Id: i.id,
    RepoTags: i.repoTags,
    RepoDigests: i.repoDigests,
    Parent: i.parentId,
    Comment: '',
    Created: i.created,
    Config: i.config,
    Architecture: i.architecture,
    Os: i.os,
    Size: i.size,
    RootFS: { Type: 'layers', Layers: i.rootFS.diffIDs },
    Metadata: { LastTagTime: '0001-01-01T00:00:00Z' },
  };
}
