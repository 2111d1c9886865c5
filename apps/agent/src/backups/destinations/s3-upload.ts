import type { Readable } from 'node:stream';
import type { Client } from 'minio';
import { logger } from '@skiff/logger';

const log = logger.child({ component: 'backup' });

/** bytes per part: what one part holds in memory while it is signed and sent (S3's minimum is 5 MiB) */
export const PART_SIZE = 16 * 1024 * 1024;

/** the stream cut into PART_SIZE buffers (the last one shorter) */
async function* parts(body: Readable): AsyncGenerator<Buffer> {
  let pending: Buffer[] = [];
  let size = 0;
  for await (const chunk of body as AsyncIterable<Buffer>) {
    let c = chunk;
    while (size + c.length >= PART_SIZE) {
      const take = PART_SIZE - size;
      pending.push(c.subarray(0, take));
      yield Buffer.concat(pending);
      pending = [];
      size = 0;
      c = c.subarray(take);
    }
    if (c.length) {
      pending.push(c);
      size += c.length;
    }
  }
  if (size || !pending.length) yield Buffer.concat(pending);
}

/**
 * Uploads a stream of unknown length: one PUT when it fits a part, else a multipart upload
 * driven part by part (initiate, upload, complete; aborted on failure). minio's own
 * putObject of a stream first lists the bucket's unfinished uploads, which some
 * S3-compatible servers do not implement; this needs only the core multipart calls.
 */
export async function uploadStream(client: Client, bucket: string, name: string, body: Readable): Promise<void> {
  const it = parts(body)[Symbol.asyncIterator]();
  const first = await it.next();
  const firstPart = first.done ? Buffer.alloc(0) : first.value;
  const second = firstPart.length === PART_SIZE ? await it.next() : { done: true as const, value: undefined };
  if (second.done) {
    await client.putObject(bucket, name, firstPart, firstPart.length, { 'Content-Type': 'application/octet-stream' });
    return;
  }
  const uploadId = await client.initiateNewMultipartUpload(bucket, name, { 'Content-Type': 'application/octet-stream' });
  try {
    const etags: { part: number; etag: string }[] = [];
    const send = async (data: Buffer) => {
      const part = etags.length + 1;
      const r = await client.uploadPart({ bucketName: bucket, objectName: name, uploadID: uploadId, partNumber: part, headers: {} }, data);
      etags.push({ part, etag: r.etag });
    };
    await send(firstPart);
    await send(second.value);
    for (let r = await it.next(); !r.done; r = await it.next()) await send(r.value);
    await client.completeMultipartUpload(bucket, name, uploadId, etags);
  } catch (e) {
    // parts of an upload never completed stay in the bucket (and are billed) until aborted
    await client.abortMultipartUpload(bucket, name, uploadId).catch((e2: unknown) => log.warn('aborting a failed upload', { bucket, name, err: e2 }));
    throw e;
  }
}
