import { randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { freeTestSubnet } from '@skiff/test-fixtures';
import type { AgentHarness } from './agent-harness.js';
import { dockerClient, useDockerAgent } from './docker-cli.js';

// What the docker CLI prints for the common daemon errors must be dockerd's own text
// (docker 28; the moby source is the reference): the CLI prints it after "Error response
// from daemon: " and exits 1, `docker run` prefixes "docker: " and exits 125.

let agent: AgentHarness;
let registry: string;
let image: string;
const tag = randomBytes(3).toString('hex');
const u = (name: string) => `${name}-${tag}`;
const { docker, ok, api } = dockerClient(() => agent);

const daemon = (message: string) => `Error response from daemon: ${message}\n`;
const runFailure = (message: string) => `docker: Error response from daemon: ${message}\n\nRun 'docker run --help' for more information\n`;

useDockerAgent((ctx) => ({ agent, registry, image } = ctx));

describe('dockerd error text through the docker CLI', () => {
  it('missing containers, images, volumes and networks', async () => {
    expect(docker(['rm', u('ghost')])).toMatchObject({ code: 1, stderr: daemon(`No such container: ${u('ghost')}`) });
    expect(docker(['exec', u('ghost'), 'true'])).toMatchObject({ code: 1, stderr: daemon(`No such container: ${u('ghost')}`) });
    // images are named as dockerd's familiar reference: Docker Hub shortened, `:latest` added
    expect(docker(['image', 'inspect', 'busybox:nope'])).toMatchObject({ code: 1, stdout: '[]\n', stderr: daemon('No such image: busybox:nope') });
    expect(docker(['rmi', 'docker.io/library/busybox:nope'])).toMatchObject({ code: 1, stderr: daemon('No such image: busybox:nope') });
    expect(docker(['image', 'inspect', `${registry}/skiff-test/none`]).stderr).toBe(daemon(`No such image: ${registry}/skiff-test/none:latest`));
    const zeros = `sha256:${'0'.repeat(64)}`;
    expect(docker(['image', 'inspect', zeros]).stderr).toBe(daemon(`No such image: ${zeros}`));
    expect(docker(['image', 'inspect', `docker.io/library/busybox@${zeros}`]).stderr).toBe(daemon(`No such image: busybox@${zeros}`));
    expect(docker(['volume', 'inspect', u('novol')])).toMatchObject({ code: 1, stderr: daemon(`get ${u('novol')}: no such volume`) });
    expect(docker(['volume', 'rm', u('novol')])).toMatchObject({ code: 1, stderr: daemon(`get ${u('novol')}: no such volume`) });
    expect(docker(['network', 'inspect', u('nonet')])).toMatchObject({ code: 1, stderr: daemon(`network ${u('nonet')} not found`) });

    // the CLI has no command for an exec instance by id, nor shows statuses
    expect(await api('GET', '/v1.47/exec/abc123/json')).toEqual({ status: 404, body: JSON.stringify({ message: 'No such exec instance: abc123' }) });
    expect((await api('GET', `/containers/${u('ghost')}/json`)).status).toBe(404);
    expect((await api('GET', '/images/busybox:nope/json')).status).toBe(404);
    expect((await api('GET', `/volumes/${u('novol')}`)).status).toBe(404);
  });

  it('a taken name, removing a running or paused container, exec in a paused or stopped one', async () => {
    const name = u('taken');
    try {
      const id = ok(['run', '-d', '--name', name, image, 'sleep', '300']).trim();
      const conflict = `Conflict. The container name "/${name}" is already in use by container "${id}". You have to remove (or rename) that container to be able to reuse that name.`;
      expect(docker(['run', '-d', '--name', name, image, 'true'])).toMatchObject({ code: 125, stdout: '', stderr: runFailure(conflict) });
      expect(docker(['create', '--name', name, image])).toMatchObject({ code: 1, stderr: daemon(conflict) });

      expect(docker(['rm', name])).toMatchObject({
        code: 1,
        stderr: daemon(`cannot remove container "/${name}": container is running: stop the container before removing or force remove`),
      });
      expect((await api('DELETE', `/containers/${name}`)).status).toBe(409);
      ok(['pause', name]);
      expect(docker(['rm', name])).toMatchObject({
        code: 1,
        stderr: daemon(`cannot remove container "/${name}": container is paused and must be unpaused first`),
      });
      expect(docker(['exec', name, 'true'])).toMatchObject({ code: 1, stderr: daemon(`Container ${name} is paused, unpause the container before exec`) });
      ok(['unpause', name]);
      ok(['stop', '-t', '0', name]);
      expect(docker(['exec', name, 'true'])).toMatchObject({ code: 1, stderr: daemon(`Container ${id} is not running`) });
    } finally {
      docker(['rm', '-f', name]);
    }
  });

  it('kill, pause and unpause in the wrong state; kill of a missing container', async () => {
    const name = u('states');
    try {
      const id = ok(['create', '--name', name, image, 'sleep', '300']).trim();
      // dockerd wraps every kill failure with the container as it was named
      expect(docker(['kill', name])).toMatchObject({ code: 1, stdout: '', stderr: daemon(`cannot kill container: ${name}: Container ${id} is not running`) });
      expect(docker(['kill', '-s', 'TERM', name]).stderr).toBe(daemon(`cannot kill container: ${name}: Container ${id} is not running`));
      expect(docker(['kill', u('ghost')]).stderr).toBe(daemon(`cannot kill container: ${u('ghost')}: No such container: ${u('ghost')}`));
      expect(docker(['pause', name])).toMatchObject({ code: 1, stderr: daemon(`Container ${id} is not running`) });
      expect(docker(['unpause', name])).toMatchObject({ code: 1, stderr: daemon(`Container ${id} is not paused`) });
      expect((await api('POST', `/containers/${name}/kill`)).status).toBe(409);
      expect((await api('POST', `/containers/${name}/pause`)).status).toBe(409);
      // dockerd's unpause raises an untyped error
      expect((await api('POST', `/containers/${name}/unpause`)).status).toBe(500);

      ok(['start', name]);
      expect(docker(['unpause', name]).stderr).toBe(daemon(`Container ${id} is not paused`));
      ok(['pause', name]);
      expect(docker(['pause', name])).toMatchObject({ code: 1, stderr: daemon(`Container ${id} is already paused`) });
      expect((await api('POST', `/containers/${name}/pause`)).status).toBe(409);
      ok(['unpause', name]);
      expect(ok(['kill', name])).toBe(`${name}\n`);
    } finally {
      docker(['rm', '-f', name]);
    }
  });

  it("a memory limit below dockerd's minimum", () => {
    expect(docker(['run', '--rm', '-m', '1m', image, 'true'])).toEqual({ code: 125, stdout: '', stderr: runFailure('Minimum memory limit allowed is 6MB') });
  });

  it('network rm of a built-in network is forbidden', async () => {
    for (const net of ['bridge', 'host', 'none']) {
      const rm = docker(['network', 'rm', net]);
      expect(rm.code).toBe(1);
      // the CLI adds "exit status 1" itself
      expect(rm.stderr).toBe(`${daemon(`${net} is a pre-defined network and cannot be removed`)}exit status 1\n`);
      expect(await api('DELETE', `/networks/${net}`)).toEqual({
        status: 403,
        body: JSON.stringify({ message: `${net} is a pre-defined network and cannot be removed` }),
      });
    }
  });

  it('run and pull of an image the registry does not have print the pull error', async () => {
    const missing = `${registry}/skiff-test/busybox:nope-${tag}`;
    const manifestUnknown = `manifest for ${missing} not found: manifest unknown: manifest unknown`;
    // the error comes before any progress, so it is the daemon's answer, not a stream line
    expect(docker(['run', '--rm', missing, 'true'])).toEqual({
      code: 125,
      stdout: '',
      stderr: `Unable to find image '${missing}' locally\n${runFailure(manifestUnknown)}`,
    });
    expect(docker(['pull', missing])).toEqual({ code: 1, stdout: '', stderr: daemon(manifestUnknown) });
    const byDigest = `${registry}/skiff-test/busybox@sha256:${'0'.repeat(64)}`;
    expect(docker(['pull', byDigest])).toEqual({
      code: 1,
      stdout: '',
      stderr: daemon(`manifest for ${byDigest} not found: manifest unknown: manifest unknown`),
    });
    const create = await api('POST', `/images/create?fromImage=${encodeURIComponent(`${registry}/skiff-test/busybox`)}&tag=nope-${tag}`);
    expect(create).toEqual({ status: 404, body: JSON.stringify({ message: manifestUnknown }) });
  });

  it('network rm of a network in use names what is connected', async () => {
    const net = u('busynet');
    const ctr = u('onnet');
    try {
      ok(['network', 'create', '--subnet', freeTestSubnet().subnet, net]);
      ok(['run', '-d', '--name', ctr, '--network', net, image, 'sleep', '300']);
      const rm = docker(['network', 'rm', net]);
      expect(rm.code).toBe(1);
      // the CLI adds "exit status 1" itself; endpoint ids differ from dockerd's
      expect(rm.stderr).toMatch(
        new RegExp(`^Error response from daemon: error while removing network: network ${net} has active endpoints \\(name:"${ctr}" id:"[\\w-]{1,12}"\\)\\n`),
      );
      expect((await api('DELETE', `/networks/${net}`)).status).toBe(403);
    } finally {
      docker(['rm', '-f', ctr]);
      docker(['network', 'rm', net]);
    }
  });
});
