/** The agent's typed API: import `AppRouter` to get end-to-end types in a tRPC client. */
export type { AppRouter } from './routers/index.js';
export type { SessionEvent } from './sessions.js';
