/**
 * @skiff/git: application sources from git for the app service — shallow fetches with
 * Debian's git CLI under a locked-down environment, deploy keys, webhook verification and
 * branch polling. See docs/apps.md "Git".
 */
export { generateDeployKey } from './deploy-key.js';
export { GitError, type GitErrorCode, WebhookError, type WebhookErrorCode } from './errors.js';
export { type FetchedSource, type FetchSourceOptions, fetchSource } from './fetch-source.js';
export { DEFAULT_LIMITS, type GitLimits } from './limits.js';
export { type PollTarget, SourcePoller } from './poller.js';
export { remoteHead } from './remote-head.js';
export { ReplayGuard } from './replay-guard.js';
export type { GitAuth } from './session.js';
export { parseGitUrl, redactUrl } from './validate.js';
export { verifyWebhook, WEBHOOK_MAX_BODY, type WebhookProvider, type WebhookPush } from './webhook.js';
