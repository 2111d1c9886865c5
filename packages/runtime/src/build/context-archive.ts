import { mkdir, mkdtemp, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { InvalidArgument } from '../errors.js';
import { detectCompression } from '../image/decompress.js';
import { unpackLayer } from '../image/layer-unpack.js';

/** A Dockerfile sent as the whole body is read into memory: it must stay small. */
const MAX_DOCKERFILE_BYTES = 1024 * 1024;

export interface ReceivedContext {
  /** the context directory (empty when the body was a bare Dockerfile) */
  dir: string;
  /** set when the body was a Dockerfile, not an archive (`docker build - < Dockerfile`) */
  dockerfileText?: string;
  remove(): Promise<void>;
}

/** A tar starts with a header whose magic is "ustar" at 257, or with the zero block of an empty archive. */
function looksLikeTar(head: Buffer): boolean {
  if (detectCompression(head) !== 'none') return true;
  if (head.length >= 262 && head.subarray(257, 262).toString('latin1') === 'ustar') return true;
  return head.length >= 512 && head.subarray(0, 512).every((b) => b === 0);
}

async function readDockerfileBody(head: Buffer, rest: AsyncIterator<Buffer>): Promise<string> {
  const chunks: Buffer[] = [head];
  let size = head.length;
  for (let r = await rest.next(); !r.done; r = await rest.next()) {
    const c = r.value;
    size += c.length;
    if (size > MAX_DOCKERFILE_BYTES) throw new InvalidArgument('the build context is neither a tar archive nor a Dockerfile (over 1 MiB of text)');
    chunks.push(c);
  }
  const buf = Buffer.concat(chunks);
  const text = buf.toString('utf8');
  if (buf.includes(0) || Buffer.from(text, 'utf8').length !== buf.length) throw new InvalidArgument('the build context is neither a tar archive (plain, gzip or zstd) nor a Dockerfile');
  if (!text.trim()) throw new InvalidArgument('the build context is empty: send a tar archive of the context or a Dockerfile');
  return text;
}

/**
 * A build context received as a stream, the way Docker's API takes it: a tar (plain, gzip
 * or zstd) unpacked under `tmpRoot` with the layer unpacker's confinement (no `..`, nothing
 * written through a symlink), or a bare Dockerfile with an empty context.
 */
export async function receiveContext(input: Readable, tmpRoot: string, signal?: AbortSignal): Promise<ReceivedContext> {
  await mkdir(tmpRoot, { recursive: true });
  const dir = await mkdtemp(join(tmpRoot, 'context-'));
  const remove = () => rm(dir, { recursive: true, force: true });
  try {
    // the first block decides; read by hand since a body shorter than a block may already be over
    const it = input[Symbol.asyncIterator]() as AsyncIterator<Buffer>;
    const chunks: Buffer[] = [];
    let len = 0;
    while (len < 512) {
      const r = await it.next();
      if (r.done) break;
      chunks.push(r.value);
      len += r.value.length;
    }
    const head = Buffer.concat(chunks);
    if (looksLikeTar(head)) {
      const whole = Readable.from(
        (async function* () {
          yield head;
          for (let r = await it.next(); !r.done; r = await it.next()) yield r.value;
        })(),
        { objectMode: false },
      );
      await unpackLayer(whole, dir, signal, { plain: true }).catch((e: Error) => {
        throw e instanceof InvalidArgument ? new InvalidArgument(`the build context archive is invalid: ${e.message.replace(/^layer entry/, 'entry')}`) : new InvalidArgument(`the build context archive is invalid: ${e.message}`, { cause: e });
      });
      return { dir, remove };
    }
    return { dir, dockerfileText: await readDockerfileBody(head, it), remove };
  } catch (e) {
    await remove();
    throw e;
  }
}
