import { generateKeyPair, randomBytes } from 'node:crypto';
import { promisify } from 'node:util';

/**
 * An ed25519 deploy key made with node:crypto and written in OpenSSH's own formats
 * (`ssh-ed25519 AAAA… comment` and an unencrypted `openssh-key-v1` private key), so no
 * ssh-keygen process and no temp file holds the private half.
 */
export async function generateDeployKey(comment: string): Promise<{ publicKey: string; privateKey: string }> {
  // biome-ignore lint/suspicious/noControlCharactersInRegex: a comment is one line of text
  if (typeof comment !== 'string' || comment.length > 200 || /[\u0000-\u001f\u007f]/.test(comment))
    throw new TypeError('a deploy key comment is one line of at most 200 characters');
  const { publicKey, privateKey } = await promisify(generateKeyPair)('ed25519');
  const jwk = privateKey.export({ format: 'jwk' });
  const pub = Buffer.from(publicKey.export({ format: 'jwk' }).x!, 'base64url');
  const seed = Buffer.from(jwk.d!, 'base64url');
  const type = Buffer.from('ssh-ed25519');
  const pubBlob = Buffer.concat([str(type), str(pub)]);
  const check = randomBytes(4);
  let priv = Buffer.concat([check, check, str(type), str(pub), str(Buffer.concat([seed, pub])), str(Buffer.from(comment))]);
  const pad = (8 - (priv.length % 8)) % 8;
  priv = Buffer.concat([priv, Buffer.from(Array.from({ length: pad }, (_, i) => i + 1))]);
  const blob = Buffer.concat([
    Buffer.from('openssh-key-v1\0'),
    str(Buffer.from('none')),
    str(Buffer.from('none')),
    str(Buffer.alloc(0)),
    u32(1),
    str(pubBlob),
    str(priv),
  ]);
  const b64 = blob.toString('base64').replace(/.{1,70}/g, '$&\n');
  return {
    publicKey: `ssh-ed25519 ${pubBlob.toString('base64')}${comment ? ` ${comment}` : ''}`,
    privateKey: `-----BEGIN OPENSSH PRIVATE KEY-----\n${b64}-----END OPENSSH PRIVATE KEY-----\n`,
  };
}

function u32(n: number): Buffer {
  const b = Buffer.alloc(4);
  b.writeUInt32BE(n);
  return b;
}

/** SSH wire `string`: a 32-bit length, then the bytes */
function str(b: Buffer): Buffer {
  return Buffer.concat([u32(b.length), b]);
}
