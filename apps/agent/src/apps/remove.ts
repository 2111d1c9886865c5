import { rm } from 'node:fs/promises';
import { join } from 'node:path';
import { cleanupFailed } from '@skiff/logger';
import type { AppContext } from './context.js';
import { loadApp } from './create.js';
import { appRepo } from './image.js';
import { IN_FLIGHT } from './record.js';
import { removeContainers, appContainers } from './replicas.js';
import { unpublishRoutes } from './routes.js';

/** the routes, the containers, the deployment images' tags, the files, then the records */
export async function removeApp(ctx: AppContext, name: string): Promise<{ containers: number }> {
  const app = await loadApp(ctx, name);
  const running = await ctx.db.deployment.findMany({ where: { appId: app.id, status: { in: [...IN_FLIGHT] } }, select: { id: true } });
  for (const d of running) ctx.queue.cancel(d.id, 'the app is being removed');
  // a cancelled deploy removes its own new containers; what it leaves is removed below
  await ctx.queue.settled(name);
  unpublishRoutes(ctx, name);
  const containers = await appContainers(ctx, name);
  await removeContainers(
    ctx,
    containers.map((c) => c.id),
  );
  const images = await ctx.runtime.images.list().catch((e: Error) => {
    ctx.log.warn("cannot list images to untag an app's", { app: name, err: e });
    return [];
  });
  for (const img of images)
    for (const tag of img.repoTags)
      if (tag.startsWith(`${appRepo(name)}:`))
        await ctx.runtime.images.remove(tag).catch(cleanupFailed(ctx.log, 'cannot untag an app image', { app: name, tag }));
  await rm(join(ctx.root, 'apps', name), { recursive: true, force: true });
  await ctx.db.app.delete({ where: { id: app.id } });
  return { containers: containers.length };
}
