import { router } from '../trpc.js';
import { containersRouter } from './containers.js';
import { imagesRouter } from './images.js';
import { systemRouter } from './system.js';

export const appRouter = router({
  containers: containersRouter,
  images: imagesRouter,
  system: systemRouter,
});

export type AppRouter = typeof appRouter;
