import { randomBytes } from 'node:crypto';
import type { Readable } from 'node:stream';
import Docker from 'dockerode';
import type { AgentHarness } from './agent-harness.js';
import { useDockerAgent } from './docker-cli.js';

/** useDockerAgent with dockerode on the agent's Docker socket: `ready` gets all three in beforeAll */
export function useDockerodeAgent(ready: (ctx: { agent: AgentHarness; image: string; docker: Docker }) => void): void {
  useDockerAgent(({ agent, image }) => ready({ agent, image, docker: new Docker({ socketPath: agent.dockerSocket }) }));
}

/** names of this file's run, apart from those of other runs on the same agent: u('web') → web-<6 hex> */
export function uniqueNames(): (name: string) => string {
  const tag = randomBytes(3).toString('hex');
  return (name) => `${name}-${tag}`;
}

/** everything a stream carries until it ends */
export function collect(s: Readable): Promise<string> {
  return new Promise((resolve, reject) => {
    let out = '';
    s.on('data', (d: Buffer | string) => (out += d.toString()));
    s.on('end', () => resolve(out));
    s.on('error', reject);
  });
}
