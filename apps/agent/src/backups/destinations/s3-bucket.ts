import type { Readable } from 'node:stream';
import { Client } from 'minio';
import { NotFound } from '@skiff/runtime';
import { checkKey } from '../artifact-key.js';
import type { Destination } from './destination.js';
import { PART_SIZE, uploadStream } from './s3-upload.js';

export interface S3Options {
  endpoint: string;
  bucket: string;
  prefix: string;
  region: string;
  accessKey: string;
  secretKey: string;
}

/** Archives in an S3-compatible bucket: `<prefix>/<plan>/<file>`, path-style addressing (MinIO, Garage, s3rver, AWS). */
export class S3Bucket implements Destination {
  private readonly client: Client;

  constructor(private readonly o: S3Options) {
    const url = new URL(o.endpoint);
    const useSSL = url.protocol === 'https:';
    this.client = new Client({
      endPoint: url.hostname.replace(/^\[(.*)\]$/, '$1'),
      port: url.port ? Number(url.port) : useSSL ? 443 : 80,
      useSSL,
      accessKey: o.accessKey,
      secretKey: o.secretKey,
      region: o.region,
      pathStyle: true,
      partSize: PART_SIZE,
    });
  }

  get describe(): string {
    return `s3://${this.o.bucket}/${this.o.prefix}`;
  }

  private object(key: string): string {
    const prefix = this.o.prefix.replace(/^\/+|\/+$/g, '');
    return prefix ? `${prefix}/${checkKey(key)}` : checkKey(key);
  }

  async put(key: string, body: Readable): Promise<void> {
    await uploadStream(this.client, this.o.bucket, this.object(key), body);
  }

  async get(key: string): Promise<Readable> {
    try {
      return await this.client.getObject(this.o.bucket, this.object(key));
    } catch (e) {
      if ((e as { code?: string }).code === 'NoSuchKey') throw new NotFound(`backup ${key} is not in ${this.describe}`);
      throw e;
    }
  }

  async remove(key: string): Promise<void> {
    await this.client.removeObject(this.o.bucket, this.object(key));
  }
}
