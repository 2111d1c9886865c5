import { router } from '../trpc.js';
import { auditRouter } from './audit.js';
import { containersRouter } from './containers.js';
import { imagesRouter } from './images.js';
import { systemRouter } from './system.js';
import { volumesRouter } from './volumes.js';
import { networksRouter } from './networks.js';
import { authRouter } from './auth.js';
import { usersRouter } from './users.js';
import { tokensRouter } from './tokens.js';
import { registriesRouter } from './registries.js';
import { composeRouter } from './compose.js';
import { stacksRouter } from './stacks.js';
import { settingsRouter } from './settings.js';
import { templatesRouter } from './templates.js';

import { appsRouter } from './apps.js';

import { backupsRouter } from './backups.js';

export const appRouter = router({
  containers: containersRouter,
  images: imagesRouter,
  volumes: volumesRouter,
  networks: networksRouter,
  system: systemRouter,
  audit: auditRouter,
  auth: authRouter,
  users: usersRouter,
  tokens: tokensRouter,
  registries: registriesRouter,
  compose: composeRouter,
  stacks: stacksRouter,
  settings: settingsRouter,
  templates: templatesRouter,

  apps: appsRouter,

  backups: backupsRouter,
});

export type AppRouter = typeof appRouter;
