export { normalizeDomain } from './domain.ts';
export { CertError, type CertErrorCode } from './errors.ts';
export { certificateManagerFromEnv } from './from-env.ts';
export { CertificateManager, MAX_DOMAINS_PER_CALL } from './manager.ts';
export { renewalDue } from './renewal.ts';
export type {
  AcmeOptions,
  CertificateInfo,
  CertificateManagerOptions,
  CertificateSource,
  CertificateSourceKind,
  CertificateStatus,
  ChallengeSource,
} from './types.ts';
