import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { startRegistry, TEST_REGISTRY_USER, freePort } from '@skiff/test-fixtures';
import type { AgentHarness } from './agent-harness.js';
import { useAgent } from './use-agent.js';

let agent: AgentHarness;
let image: string;

/** the real docker CLI, pointed at the agent's Docker API socket */
function docker(args: string[], input = '') {
  const r = spawnSync('docker', args, {
    env: { ...process.env, DOCKER_HOST: `unix://${agent.dockerSocket}`, DOCKER_CONFIG: agent.dir },
    input,
    encoding: 'utf8',
    timeout: 60_000,
  });
  return { code: r.status ?? -1, stdout: r.stdout, stderr: r.stderr };
}

beforeAll(() => {
  const found = spawnSync('docker', ['--version']);
  if (found.status !== 0) throw new Error("the docker CLI is needed for these tests (scripts/test.sh installs Debian's docker.io when it is missing)");
});

useAgent({}, (ctx) => ({ agent, image } = ctx));

describe('the docker CLI against the Docker API socket', () => {
  it('negotiates the API version: docker version and docker info', () => {
    const v = docker(['version', '--format', '{{.Server.APIVersion}} {{.Server.Os}} {{.Client.APIVersion}}']);
    expect(v.code).toBe(0);
    expect(v.stdout.trim()).toBe('1.47 linux 1.47');
    const info = docker(['info', '--format', '{{.OSType}} {{.Driver}} {{.ServerVersion}}']);
    expect(info.stdout.trim()).toMatch(/^linux overlay2 \d+\.\d+\.\d+/);
  });

  it('pull, images, run --rm with output and exit codes, errors from the daemon', () => {
    const pull = docker(['pull', image]);
    expect(pull.code).toBe(0);
    expect(pull.stdout).toContain(`Status: Downloaded newer image for ${image}`);
    expect(docker(['images', '--format', '{{.Repository}}:{{.Tag}}']).stdout).toContain(image);
    expect(docker(['image', 'inspect', '-f', '{{.Os}}/{{.Architecture}}', image]).stdout.trim()).toBe('linux/amd64');

    const run = docker(['run', '--rm', image, 'sh', '-c', 'echo out; echo err >&2']);
    expect(run).toMatchObject({ code: 0, stdout: 'out\n', stderr: 'err\n' });
    expect(docker(['run', '--rm', image, 'sh', '-c', 'exit 3']).code).toBe(3);
    expect(docker(['run', '--rm', '-e', 'GREETING=hi', '-w', '/etc', image, 'sh', '-c', 'echo $GREETING $(pwd)']).stdout).toBe('hi /etc\n');
    // --rm removed them
    expect(docker(['ps', '-aq']).stdout).toBe('');

    // the pull fails before any progress: the daemon's answer, as dockerd gives it (the text is Skiff's)
    const missing = docker(['run', '--rm', '127.0.0.1:1/nope/none:latest', 'true']);
    expect(missing.code).toBe(125);
    expect(missing.stderr).toMatch(
      /^Unable to find image '127\.0\.0\.1:1\/nope\/none:latest' locally\ndocker: Error response from daemon: cannot reach registry 127\.0\.0\.1:1/,
    );
    expect(docker(['rm', 'no-such-container']).stderr).toMatch(/Error response from daemon: No such container: no-such-container/);
  });

  it('run -d with a published port, ps, logs (-f), inspect, stop, rm', async () => {
    const port = await freePort();
    const started = docker([
      'run',
      '-d',
      '--name',
      'web',
      '-p',
      `127.0.0.1:${port}:80`,
      '-l',
      'tier=front',
      image,
      'sh',
      '-c',
      'mkdir -p /www && echo served > /www/index.html && echo ready && exec httpd -f -p 80 -h /www',
    ]);
    expect(started.code).toBe(0);
    const id = started.stdout.trim();
    expect(id).toMatch(/^[0-9a-f]{64}$/);

    const ps = docker(['ps', '--format', '{{.Names}} {{.Ports}} {{.Labels}}']);
    expect(ps.stdout.trim()).toBe(`web 127.0.0.1:${port}->80/tcp tier=front`);
    expect(docker(['ps', '-q', '--filter', 'label=tier=front']).stdout.trim()).toBe(id.slice(0, 12));
    let body = '';
    for (let i = 0; i < 50 && body !== 'served\n'; i++) {
      body = await fetch(`http://127.0.0.1:${port}/`).then(
        (r) => r.text(),
        () => '',
      );
      if (body !== 'served\n') await new Promise((r) => setTimeout(r, 100));
    }
    expect(body).toBe('served\n');
    expect(docker(['logs', 'web'])).toMatchObject({ code: 0, stdout: 'ready\n' });
    expect(docker(['inspect', '-f', '{{.State.Status}} {{.Name}} {{.Config.Labels.tier}}', 'web']).stdout.trim()).toBe('running /web front');

    // logs -f follows until the container stops
    const follower = spawn('docker', ['logs', '-f', 'web'], { env: { ...process.env, DOCKER_HOST: `unix://${agent.dockerSocket}`, DOCKER_CONFIG: agent.dir } });
    let followed = '';
    follower.stdout.on('data', (d: Buffer) => (followed += d.toString()));
    const ended = new Promise<number | null>((r) => follower.on('close', r));
    await new Promise((r) => setTimeout(r, 500));
    expect(docker(['stop', '-t', '1', 'web'])).toMatchObject({ code: 0, stdout: 'web\n' });
    expect(await ended).toBe(0);
    expect(followed).toBe('ready\n');

    expect(docker(['ps', '-a', '--format', '{{.Names}} {{.Status}}']).stdout).toMatch(/^web Exited \(\d+\)/);
    expect(docker(['rm', 'web'])).toMatchObject({ code: 0, stdout: 'web\n' });
    expect(docker(['ps', '-aq']).stdout).toBe('');
  });

  it('exec: output and exit code, stdin with -i, a terminal with -it (through a pty), -d, -u, -w, -e', () => {
    expect(docker(['run', '-d', '--name', 'box', image, 'sleep', '300']).code).toBe(0);
    expect(docker(['exec', 'box', 'sh', '-c', 'echo out; echo err >&2; exit 4'])).toMatchObject({ code: 4, stdout: 'out\n', stderr: 'err\n' });
    expect(docker(['exec', '-i', 'box', 'sh', '-c', 'tr a-z A-Z'], 'piped through\n').stdout).toBe('PIPED THROUGH\n');
    expect(docker(['exec', '-u', 'nobody', '-w', '/tmp', '-e', 'X=1', 'box', 'sh', '-c', 'echo $(id -un) $(pwd) $X']).stdout).toBe('nobody /tmp 1\n');
    expect(docker(['exec', '-d', 'box', 'sh', '-c', 'echo detached > /tmp/d']).code).toBe(0);
    let detached = '';
    for (let i = 0; i < 30 && detached !== 'detached\n'; i++) detached = docker(['exec', 'box', 'cat', '/tmp/d']).stdout;
    expect(detached).toBe('detached\n');
    // -it needs a terminal on the client side: script gives docker one
    const tty = spawnSync('script', ['-qec', 'docker exec -it box sh -c "tty; stty size; exit 7"', '/dev/null'], {
      env: { ...process.env, DOCKER_HOST: `unix://${agent.dockerSocket}`, DOCKER_CONFIG: agent.dir, COLUMNS: '100', LINES: '30' },
      encoding: 'utf8',
      timeout: 60_000,
    });
    expect(tty.stdout).toMatch(/\/dev\/pts\/\d+/);
    expect(tty.status).toBe(7);
    expect(docker(['stop', '-t', '0', 'box']).code).toBe(0);
    expect(docker(['exec', 'box', 'true']).stderr).toMatch(/is not running/);
    expect(docker(['rm', 'box']).code).toBe(0);
  });

  it('docker build: steps, cache, tags, a failing step', () => {
    const ctx = mkdtempSync(join(tmpdir(), 'skiff-dbuild-'));
    try {
      writeFileSync(
        join(ctx, 'Dockerfile'),
        `FROM ${image}\nCOPY hello.txt /hello.txt\nRUN echo built-by-docker-cli >> /hello.txt\nCMD ["cat", "/hello.txt"]\n`,
      );
      writeFileSync(join(ctx, 'hello.txt'), 'hello\n');
      const first = docker(['build', '-t', 'dockerbuilt:1', ctx]);
      expect(first.stderr).not.toMatch(/error/i);
      expect(first.code).toBe(0);
      expect(first.stdout).toMatch(/Step 1\/4 : FROM /);
      expect(first.stdout).toContain('Successfully tagged dockerbuilt:1');
      expect(docker(['run', '--rm', 'dockerbuilt:1']).stdout).toBe('hello\nbuilt-by-docker-cli\n');
      expect(docker(['build', '-t', 'dockerbuilt:2', ctx]).stdout.match(/Using cache/g)).toHaveLength(3);
      const quiet = docker(['build', '-q', ctx]);
      expect(quiet.stdout.trim()).toMatch(/^sha256:[0-9a-f]{64}$/);

      writeFileSync(join(ctx, 'Dockerfile'), `FROM ${image}\nRUN exit 5\n`);
      const failed = docker(['build', ctx]);
      expect(failed.code).toBe(1);
      expect(failed.stderr).toMatch(/returned a non-zero code: 5/);
    } finally {
      rmSync(ctx, { recursive: true, force: true });
    }
  });

  it('docker login checks credentials through the agent; push and pull then carry them', async () => {
    const reg = await startRegistry({ auth: 'basic' });
    try {
      const wrong = docker(['login', '-u', 'skiff', '--password-stdin', reg.host], 'wrong-password\n');
      expect(wrong.code).not.toBe(0);
      expect(wrong.stderr).toMatch(/Error response from daemon/);
      const ok = docker(['login', '-u', TEST_REGISTRY_USER.username, '--password-stdin', reg.host], `${TEST_REGISTRY_USER.password}\n`);
      expect(ok.stderr + ok.stdout).toContain('Login Succeeded');
      const target = `${reg.host}/private/busybox:1`;
      expect(docker(['pull', '-q', image]).code).toBe(0);
      expect(docker(['tag', image, target]).code).toBe(0);
      const pushed = docker(['push', target]);
      expect(pushed.stderr).toBe('');
      expect(pushed.code).toBe(0);
      expect(docker(['rmi', target]).code).toBe(0);
      expect(docker(['pull', target]).code).toBe(0);
      expect(docker(['logout', reg.host]).code).toBe(0);
      // the registry's refusal is no 401 of the daemon's: the CLI would prompt for a login
      const anonymous = docker(['pull', target]);
      expect(anonymous.code).toBe(1);
      expect(anonymous).toMatchObject({ stdout: '', stderr: expect.stringMatching(/^Error response from daemon: 127\.0\.0\.1:\d+ requires a login/) });
    } finally {
      await reg.stop();
    }
  });
});
