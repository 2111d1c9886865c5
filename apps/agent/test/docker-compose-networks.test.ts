import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { freeTestSubnet } from '@skiff/test-fixtures';
import type { AgentHarness } from './agent-harness.js';
import { dockerCompose, requireDockerCompose } from './docker-cli.js';
import { useAgent } from './use-agent.js';

/**
 * The reverse-proxy layout under docker-compose v1 (issue 24): proxies on `front` and
 * `back` (each joining them in the other order: compose creates a container on its first
 * network and connects the rest), the app on `back` only, an outsider on `front` only.
 * Every proxy resolves the app by service name; the outsider does not.
 */

let agent: AgentHarness;
let image: string;
let dir: string;
const project = `dn${randomBytes(3).toString('hex')}`;
const front = freeTestSubnet();
const back = freeTestSubnet();

/** docker-compose on the agent's Docker API socket, as this file's project */
const compose = (args: string[]) => dockerCompose(agent, project, dir, args);
requireDockerCompose();

useAgent({}, (ctx) => ({ agent, image } = ctx));

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'skiff-dcnet-'));
  const sleeper = `image: ${image}\n    command: ["sleep", "300"]`;
  writeFileSync(
    join(dir, 'docker-compose.yml'),
    `version: "2.4"
services:
  app:
    image: ${image}
    command: ["sh", "-c", "mkdir -p /www && echo from-app > /www/index.html && exec httpd -f -p 80 -h /www"]
    networks: [back]
  proxy-front-first:
    ${sleeper}
    depends_on: [app]
    networks:
      front: { priority: 10 }
      back: { priority: 1 }
  proxy-back-first:
    ${sleeper}
    depends_on: [app]
    networks:
      back: { priority: 10 }
      front: { priority: 1 }
  outsider:
    ${sleeper}
    networks: [front]
networks:
  front:
    ipam: { config: [{ subnet: ${front.subnet} }] }
  back:
    ipam: { config: [{ subnet: ${back.subnet} }] }
`,
  );
});

afterAll(() => {
  if (agent) compose(['down', '-t', '1']);
  if (dir) rmSync(dir, { recursive: true, force: true });
});

describe('docker-compose v1: a proxy on two networks', () => {
  it('resolves the app on back by service name whatever the network order; a front-only container does not', async () => {
    const up = compose(['up', '-d']);
    expect(up.code, up.stderr).toBe(0);
    for (const proxy of ['proxy-front-first', 'proxy-back-first']) {
      let body = '';
      for (let i = 0; i < 30 && body !== 'from-app\n'; i++) {
        body = compose(['exec', '-T', proxy, 'wget', '-qO-', 'http://app/']).stdout;
        if (body !== 'from-app\n') await new Promise((r) => setTimeout(r, 300));
      }
      expect(body, proxy).toBe('from-app\n');
    }
    const outsider = compose(['exec', '-T', 'outsider', 'sh', '-c', 'nslookup app >/dev/null 2>&1 && echo resolved || echo unresolved']);
    expect(outsider.stdout).toBe('unresolved\n');
    expect(compose(['down', '-t', '1']).code).toBe(0);
  }, 240_000);
});
