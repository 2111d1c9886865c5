import { spawnSync } from 'node:child_process';
import { request } from 'node:http';
import { beforeAll } from 'vitest';
import type { AgentHarness } from './agent-harness.js';
import { useAgent } from './use-agent.js';

/**
 * The real docker CLI, and raw requests, against a test agent's Docker API socket. `agent`
 * is a getter: the harness is made in beforeAll, after the file's helpers are.
 */
export function dockerClient(agent: () => AgentHarness) {
  /** DOCKER_CONFIG in the agent's temp dir: no login or context of this host leaks in */
  const env = () => ({ ...process.env, DOCKER_HOST: `unix://${agent().dockerSocket}`, DOCKER_CONFIG: agent().dir });

  function docker(args: string[], input = '') {
    const r = spawnSync('docker', args, { env: env(), input, encoding: 'utf8', timeout: 60_000 });
    return { code: r.status ?? -1, stdout: r.stdout, stderr: r.stderr };
  }

  function ok(args: string[]): string {
    const r = docker(args);
    if (r.code !== 0) throw new Error(`docker ${args.join(' ')} failed (${r.code}): ${r.stderr}`);
    return r.stdout;
  }

  /** one request without the CLI, for what it does not show (statuses, endpoints it has no command for) */
  function api(method: string, path: string): Promise<{ status: number; body: string }> {
    return new Promise((resolve, reject) => {
      const req = request({ socketPath: agent().dockerSocket, method, path }, (res) => {
        let body = '';
        res.setEncoding('utf8');
        res.on('data', (d: string) => (body += d));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
      });
      req.on('error', reject);
      req.end();
    });
  }

  return { env, docker, ok, api };
}

/**
 * The usual set-up of a file that drives the docker CLI: the docker CLI is there, the
 * fixture registry, a test agent with the busybox test image pulled through the Docker API;
 * `ready` gets them in beforeAll. Everything is removed after the file's tests.
 */
export function useDockerAgent(ready: (ctx: { agent: AgentHarness; registry: string; image: string }) => void): void {
  beforeAll(() => {
    if (spawnSync('docker', ['--version']).status !== 0)
      throw new Error("the docker CLI is needed for these tests (scripts/test.sh installs Debian's docker.io when it is missing)");
  });
  const fixture = useAgent({}, ready);
  beforeAll(() => {
    dockerClient(() => fixture.agent).ok(['pull', fixture.image]);
  }, 120_000);
}

/** fails the file's tests up front when Debian's docker-compose is missing */
export function requireDockerCompose(): void {
  beforeAll(() => {
    if (spawnSync('docker-compose', ['version']).status !== 0)
      throw new Error("docker-compose is needed for these tests (scripts/test.sh installs Debian's package when it is missing)");
  });
}

/** Debian's docker-compose (1.29, docker-py) against the agent's Docker API socket, in `dir` as project `project` */
export function dockerCompose(agent: AgentHarness, project: string, dir: string, args: string[], input = '') {
  const r = spawnSync('docker-compose', ['-p', project, ...args], {
    cwd: dir,
    input,
    env: { ...process.env, DOCKER_HOST: `unix://${agent.dockerSocket}`, DOCKER_CONFIG: agent.dir },
    encoding: 'utf8',
    timeout: 120_000,
  });
  return { code: r.status ?? -1, stdout: r.stdout, stderr: r.stderr };
}
