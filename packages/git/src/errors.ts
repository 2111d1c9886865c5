/**
 * Typed failures of the git layer. `code` is stable for callers (the app service turns it
 * into a deployment status); `message` is safe to show: it never carries a credential.
 */
export type GitErrorCode =
  | 'invalid-url'
  | 'invalid-branch'
  | 'invalid-commit'
  | 'invalid-path'
  | 'dest-exists'
  | 'auth-failed'
  | 'not-found'
  | 'too-large'
  | 'timeout'
  | 'aborted'
  | 'git-failed';

export class GitError extends Error {
  override readonly name = 'GitError';
  constructor(
    readonly code: GitErrorCode,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}

export type WebhookErrorCode = 'unknown-provider' | 'bad-signature' | 'not-push' | 'bad-payload' | 'too-large' | 'replay' | 'no-secret';

export class WebhookError extends Error {
  override readonly name = 'WebhookError';
  constructor(
    readonly code: WebhookErrorCode,
    message: string,
    /** the provider's event name when known (a `ping` is `not-push`, which a caller may answer 200) */
    readonly event?: string,
  ) {
    super(message);
  }
}
