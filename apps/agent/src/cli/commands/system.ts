import { parseArgs } from '../args.js';
import type { SkiffClient } from '../client.js';
import { humanBinary } from '../format.js';

export async function infoCommand(client: SkiffClient, argv: string[]): Promise<number> {
  const { flags } = parseArgs(argv, [{ names: ['-f', '--format'], kind: 'string', key: 'format' }], { command: 'info' });
  const i = await client.system.info.query();
  if (flags.format === 'json') {
    process.stdout.write(`${JSON.stringify(i)}\n`);
    return 0;
  }
  process.stdout.write(
    [
      `Containers: ${i.containers}`,
      ` Running: ${i.containersRunning}`,
      ` Paused: ${i.containersPaused}`,
      ` Stopped: ${i.containersStopped}`,
      `Images: ${i.images}`,
      `Server Version: ${i.version}`,
      `Storage Driver: overlay`,
      `Logging Driver: json-file`,
      `Cgroup Version: ${i.cgroupVersion}`,
      `Kernel Version: ${i.kernel}`,
      `Operating System: ${i.os}`,
      `CPUs: ${i.cpus}`,
      `Total Memory: ${humanBinary(i.memTotal)}`,
      `Skiff Root Dir: ${i.root}`,
      '',
    ].join('\n'),
  );
  return 0;
}

export async function versionCommand(client: SkiffClient | undefined, clientVersion: string): Promise<number> {
  process.stdout.write(`Client:\n Version:    ${clientVersion}\n Node:       ${process.version}\n\n`);
  if (!client) return 0;
  const v = await client.system.version.query();
  process.stdout.write(`Server: Skiff agent\n Version:    ${v.version}\n API:        ${v.apiVersion}\n Node:       ${v.node}\n OS/Arch:    ${v.os}/${v.arch}\n`);
  return 0;
}
