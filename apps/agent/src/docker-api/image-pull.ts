import { familiarName, isSkiffError, parseReference, type PullProgress } from '@skiff/runtime';
import { dockerError, familiarRef } from './daemon-errors.js';
import { DockerApiError, registryAuth } from './http.js';
import { startJsonStream } from './query.js';
import type { ImageBackend } from './backend.js';
import type { Call } from './route.js';

/** dockerd's status lines for a layer; the runtime announces every layer as waiting first, as dockerd's "Pulling fs layer" */
const LAYER_STATUS: Record<PullProgress['status'], string[]> = {
  resolving: ['Pulling fs layer'],
  waiting: ['Pulling fs layer'],
  downloading: ['Downloading'],
  verifying: ['Verifying Checksum', 'Download complete'],
  extracting: ['Extracting'],
  done: ['Pull complete'],
  exists: ['Already exists'],
};

/** only these carry a progress bar: the CLI leaves lines with one out when it writes to no terminal, as dockerd's */
const WITH_PROGRESS = new Set<PullProgress['status']>(['downloading', 'extracting']);

/**
 * `POST /images/create?fromImage=&tag=`: a pull, with dockerd's progress lines. Like
 * dockerd, the stream starts once the manifest is resolved: a failure before that
 * (unreachable registry, unknown tag, refused) is a plain error response, which
 * `docker run` prints after "Error response from daemon:"; later ones are the stream's
 * last line. An image whose config is here already has no layer lines, and when the tag
 * named it before, the pull ends with "Image is up to date".
 */
export async function pullImage({ req, res, url, runtime }: Call<ImageBackend>, from: string): Promise<void> {
  const tag = url.searchParams.get('tag');
  const ref = tag ? (tag.startsWith('sha256:') ? `${from}@${tag}` : `${from}:${tag}`) : from.includes(':') || from.includes('@') ? from : `${from}:latest`;
  const parsed = parseReference(ref);
  const before = await runtime.images.inspect(ref).then(
    (i) => i.id,
    () => undefined,
  );
  const present = new Set((await runtime.images.list()).map((i) => i.id));
  let haveConfig = false;
  let line: ((o: unknown) => boolean) | undefined;
  const started = () => {
    if (!line) {
      line = startJsonStream(res);
      // dockerd names the repository without its registry here
      line({ status: `Pulling from ${parsed.repository}`, id: parsed.digest ?? parsed.tag ?? 'latest' });
    }
    return line;
  };
  try {
    const img = await runtime.images.pull(ref, {
      // what `docker login` stored on the client side comes with each pull
      auth: registryAuth(req.headers['x-registry-auth']),
      onProgress: (p) => {
        if (p.id === 'manifest' && p.status === 'resolving') return;
        const out = started();
        if (p.id === 'config' && p.digest) haveConfig = present.has(p.digest);
        if (p.id === 'manifest' || p.id === 'config' || haveConfig) return;
        const id = p.id.replace(/^sha256:/, '').slice(0, 12);
        const progressDetail = WITH_PROGRESS.has(p.status) && p.total ? { current: p.current ?? 0, total: p.total } : {};
        for (const status of LAYER_STATUS[p.status]) out({ status, progressDetail, id });
      },
    });
    const out = started();
    const name = familiarName(parsed);
    const digest = img.repoDigests.find((d) => d.startsWith(`${name}@`)) ?? img.repoDigests[0];
    out({ status: `Digest: ${digest?.slice(digest.indexOf('@') + 1) ?? img.id}` });
    out({ status: `Status: ${before === img.id ? 'Image is up to date' : 'Downloaded newer image'} for ${familiarRef(ref)}` });
  } catch (e) {
    // a registry's 401 is no 401 of this API: the client would take it as its own and prompt for a login
    if (!line) throw isSkiffError(e) && e.code === 'UNAUTHORIZED' ? new DockerApiError(500, e.message) : e;
    const { message } = dockerError(e);
    line({ errorDetail: { message }, error: message });
  }
  res.end();
}
