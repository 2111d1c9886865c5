import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Readable } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { AgentHarness } from './agent-harness.js';
import { useDockerAgent } from './docker-cli.js';
import { collect } from './dockerode-agent.js';

// testcontainers-node as a real peer: what a test suite of a Skiff user does against the Docker API

let agent: AgentHarness;
let image: string;
let dir: string;
let tc: typeof import('testcontainers');
const tag = randomBytes(3).toString('hex');

useDockerAgent((ctx) => ({ agent, image } = ctx));

beforeAll(async () => {
  // testcontainers reads its environment at its first call: this file's process is its own (vitest forks)
  process.env.DOCKER_HOST = `unix://${agent.dockerSocket}`;
  process.env.TESTCONTAINERS_RYUK_DISABLED = 'true'; // the reaper is an image from Docker Hub; the suite removes what it made
  process.env.TESTCONTAINERS_HOST_OVERRIDE = '127.0.0.1';
  process.env.DOCKER_CONFIG = agent.dir;
  tc = await import('testcontainers');
  dir = mkdtempSync(join(tmpdir(), 'skiff-tc-'));
});

afterAll(() => {
  if (dir) rmSync(dir, { recursive: true, force: true });
});

/** what a TCP server on the host's 127.0.0.1 sends; again while it is between two `nc -l` (the port wait took one) */
async function readLine(port: number): Promise<string> {
  for (let i = 0; ; i++) {
    const got = await new Promise<string>((resolve, reject) => {
      const s = connect(port, '127.0.0.1');
      let text = '';
      s.on('data', (d) => (text += d.toString()));
      s.on('end', () => resolve(text));
      s.on('error', reject);
    }).catch((e: Error) => {
      if (i >= 20) throw e;
      return '';
    });
    if (got) return got;
    await new Promise((r) => setTimeout(r, 200));
  }
}

/** a followed log stream (testcontainers' logs() always follows) until `enough` holds, then closed */
function readUntil(s: Readable, enough: (text: string) => boolean): Promise<string> {
  return new Promise((resolve, reject) => {
    let out = '';
    const timer = setTimeout(() => {
      s.destroy();
      reject(new Error(`timed out; read: ${JSON.stringify(out)}`));
    }, 20_000);
    s.on('data', (d: Buffer | string) => {
      out += d.toString();
      if (enough(out)) {
        clearTimeout(timer);
        s.destroy();
        resolve(out);
      }
    });
    s.on('error', reject);
  });
}

describe('testcontainers-node', () => {
  it('GenericContainer: a port wait, exec, logs', async () => {
    const c = await new tc.GenericContainer(image)
      .withName(`tc-port-${tag}`)
      .withExposedPorts(8080)
      .withCommand(['sh', '-c', 'echo starting; sleep 1; while :; do echo served | nc -l -p 8080; done'])
      .withWaitStrategy(tc.Wait.forListeningPorts())
      .withStartupTimeout(60_000)
      .start();
    try {
      expect(await readLine(c.getMappedPort(8080))).toBe('served\n');
      const r = await c.exec(['sh', '-c', 'echo out; echo err >&2; exit 4']);
      expect(r).toMatchObject({ exitCode: 4, stdout: 'out\n', stderr: 'err\n' });
      // tail=1 of a running container: the one line so far, then what comes
      expect(await readUntil(await c.logs({ tail: 1 }), (t) => t.includes('\n'))).toBe('starting\n');
    } finally {
      await c.stop();
    }
  });

  it('GenericContainer: a log-message wait (logs with tail=-1 while running)', async () => {
    const c = await new tc.GenericContainer(image)
      .withCommand(['sh', '-c', 'echo one; sleep 0.5; echo ready now; echo ready now; sleep 300'])
      .withWaitStrategy(tc.Wait.forLogMessage('ready now', 2))
      .withStartupTimeout(60_000)
      .start();
    try {
      expect(await readUntil(await c.logs(), (t) => t.includes('ready now\nready now\n'))).toBe('one\nready now\nready now\n');
    } finally {
      await c.stop();
    }
  });

  it('GenericContainer: a health-check wait', async () => {
    const c = await new tc.GenericContainer(image)
      .withCommand(['sh', '-c', 'sleep 1; touch /tmp/healthy; sleep 300'])
      .withHealthCheck({ test: ['CMD-SHELL', 'test -f /tmp/healthy'], interval: 500, timeout: 2000, retries: 20, startPeriod: 0 })
      .withWaitStrategy(tc.Wait.forHealthCheck())
      .withStartupTimeout(60_000)
      .start();
    try {
      expect((await c.exec(['ls', '/tmp/healthy'])).exitCode).toBe(0);
    } finally {
      await c.stop();
    }
  });

  it('copy files and content in, an archive out', async () => {
    const src = join(dir, 'greeting.txt');
    writeFileSync(src, 'hello from the host\n');
    const c = await new tc.GenericContainer(image)
      .withCommand(['sleep', '300'])
      .withCopyFilesToContainer([{ source: src, target: '/data/greeting.txt' }])
      .withCopyContentToContainer([{ content: 'inline\n', target: '/data/inline.txt' }])
      .start();
    try {
      expect((await c.exec(['cat', '/data/greeting.txt', '/data/inline.txt'])).stdout).toBe('hello from the host\ninline\n');
      await c.copyFilesToContainer([{ source: src, target: '/data/later.txt' }]);
      expect((await c.exec(['cat', '/data/later.txt'])).stdout).toBe('hello from the host\n');
      const tar = await collect((await c.copyArchiveFromContainer('/data/later.txt')) as Readable);
      expect(tar).toContain('later.txt');
      expect(tar).toContain('hello from the host');
    } finally {
      await c.stop();
    }
  });

  it('a network with aliases: one container reaches another by its alias', async () => {
    const network = await new tc.Network().start();
    const server = await new tc.GenericContainer(image)
      .withNetwork(network)
      .withNetworkAliases('backend', `backend-${tag}`)
      .withCommand(['sh', '-c', 'while :; do echo from-backend | nc -l -p 9000; done'])
      .start();
    try {
      const client = await new tc.GenericContainer(image).withNetwork(network).withCommand(['sleep', '300']).start();
      try {
        for (const alias of ['backend', `backend-${tag}`]) {
          let r = { output: '', exitCode: -1 };
          for (let i = 0; i < 20 && !r.output.includes('from-backend'); i++) {
            r = await client.exec(['sh', '-c', `nc ${alias} 9000 </dev/null`]);
            if (!r.output.includes('from-backend')) await new Promise((res) => setTimeout(res, 250));
          }
          expect(r.output, alias).toContain('from-backend');
        }
        // with aliases testcontainers creates on the default bridge, then connects (as on Docker)
        expect(server.getNetworkNames()).toContain(network.getName());
      } finally {
        await client.stop();
      }
    } finally {
      await server.stop();
      await network.stop();
    }
  });
});
