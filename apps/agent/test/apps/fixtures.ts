import { buildImage, buildLayer, busyboxEntries, BUSYBOX_CONFIG, pushImage } from '@skiff/test-fixtures';
import { RegistryClient } from '@skiff/runtime';

/** a web app that serves `text` on port 80 (busybox httpd) */
const webCmd = (text: string) => ['sh', '-c', `echo serving ${text}; mkdir -p /www && echo ${text} > /www/index.html && exec httpd -f -p 80 -h /www`];

/** pushes skiff-test/app:v1, :v2 (each serving its tag) and :broken (never listens) */
export async function pushAppImages(registry: string): Promise<void> {
  const client = new RegistryClient({ registry, insecure: true });
  const base = await buildLayer(busyboxEntries());
  for (const v of ['v1', 'v2']) await pushImage(client, 'skiff-test/app', v, buildImage([base], { ...BUSYBOX_CONFIG, Cmd: webCmd(v) }));
  await pushImage(
    client,
    'skiff-test/app',
    'broken',
    buildImage([base], { ...BUSYBOX_CONFIG, Cmd: ['sh', '-c', 'echo broken version starting; exec sleep 1000'] }),
  );
}
