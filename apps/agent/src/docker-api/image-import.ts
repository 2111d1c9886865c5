import { uploadBody } from '../daemon/binary-streams.js';
import { DockerApiError, repoTag } from './http.js';
import { startJsonStream } from './query.js';
import type { ImageBackend } from './backend.js';
import type { Call } from './route.js';

/**
 * `POST /images/create?fromSrc=-` (`docker import`): the tarball is the body; `repo` / `tag`
 * name the image, `message` is its history comment (dockerd's default "Imported from -"),
 * `changes` are Dockerfile instructions for its config. Like dockerd, nothing is written
 * before the import is done: a refused tarball is a plain error response. The answer is
 * one status line with the new image's id, which the CLI prints.
 */
export async function importImage({ req, res, url, runtime }: Call<ImageBackend>): Promise<void> {
  if (url.searchParams.get('fromSrc') !== '-') {
    throw new DockerApiError(400, 'importing from a URL is not supported by Skiff: download the file and import it (docker import FILE, or - for stdin)');
  }
  const ref = repoTag(url.searchParams.get('repo'), url.searchParams.get('tag'));
  const ac = new AbortController();
  res.once('close', () => ac.abort());
  const { id } = await runtime.images.import(uploadBody(req), {
    ref,
    message: url.searchParams.get('message') || undefined,
    changes: url.searchParams.getAll('changes'),
    signal: ac.signal,
  });
  startJsonStream(res)({ status: id });
  res.end();
}
