import type { Db } from '@skiff/db';
import type { Logger } from '@skiff/logger';
import type { Runtime } from '@skiff/runtime';
import type { SecretBox } from '../auth/secrets.js';
import type { AppPorts } from './ports.js';
import type { DeployQueue } from './queue.js';
import type { KeyedLock } from './keyed-lock.js';

/** what every verb of the app service works with */
export interface AppContext extends AppPorts {
  db: Db;
  /** the agent's own runtime: an app's containers are made by Skiff to a fixed shape, not by the caller */
  runtime: Runtime;
  secrets: SecretBox;
  /** the runtime's root; sources are checked out under `<root>/apps/<name>/` */
  root: string;
  queue: DeployQueue;
  log: Logger;
  /** the upstreams last given to the route table, per app (what apps.get shows) */
  routed: Map<string, { host: string; port: number }[]>;
  /** serializes each app's route switches (deploy, refresh) */
  switching: KeyedLock;
  /** aborted when the agent stops */
  stopping: AbortSignal;
}

export const APP_LABEL = 'skiff.app';
export const DEPLOYMENT_LABEL = 'skiff.deployment';
/** the names of the secret variables in a container's environment (inspect hides their values) */
export const SECRET_ENV_LABEL = 'skiff.app.secret-env';
