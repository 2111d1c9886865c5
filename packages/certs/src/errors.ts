/** why a certificate operation was refused; the API maps these to 400/404 */
export type CertErrorCode =
  | 'invalid-domain'
  | 'invalid-pem'
  | 'key-mismatch'
  | 'name-mismatch'
  | 'expired'
  | 'not-yet-valid'
  | 'bad-chain'
  | 'too-large'
  | 'not-found'
  | 'unsafe-path'
  | 'closed';

export class CertError extends Error {
  constructor(
    readonly code: CertErrorCode,
    message: string,
  ) {
    super(message);
    this.name = 'CertError';
  }
}
