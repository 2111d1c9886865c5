/**
 * The shim's syscall and capability limits, through the runtime: io_uring is refused as in
 * Docker >= 25, and `--cap-add ALL` starts on a host whose bounding set lacks some
 * capabilities (the shim runs under `setpriv --bounding-set -sys_module,-sys_rawio` here).
 */
import { execFileSync } from 'node:child_process';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { rm } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { RegistryClient } from '../src/image/registry-client.js';
import { NATIVE_BUILD_DIR } from '../src/native/paths.js';
import { buildImage, buildLayer, busyboxEntries, BUSYBOX_CONFIG, fixtureRegistry, pushImage } from '@skiff/test-fixtures';
import { runCollect, useTestRuntime } from './helpers.js';

// every shim this file starts goes through the wrapper (SHIM_PATH is read at import)
const wrapDir = vi.hoisted(() => {
  const dir = `/tmp/skiff-capwrap-${process.pid}`;
  process.env.SKIFF_SHIM_PATH = `${dir}/skiff-shim`;
  return dir;
});

const env = useTestRuntime();

const URING_PROBE = `
#include <errno.h>
#include <linux/io_uring.h>
#include <stdio.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>
int main(void) {
  struct io_uring_params p;
  memset(&p, 0, sizeof p);
  long fd = syscall(__NR_io_uring_setup, 4, &p);
  printf("setup: %s\\n", fd >= 0 ? "ok" : strerror(errno));
  long r = syscall(__NR_io_uring_enter, fd >= 0 ? fd : 0, 0, 0, 0, NULL, 0);
  printf("enter: %s\\n", r >= 0 ? "ok" : strerror(errno));
  r = syscall(__NR_io_uring_register, fd >= 0 ? fd : 0, 0, NULL, 0);
  printf("register: %s\\n", r >= 0 ? "ok" : strerror(errno));
  return 0;
}
`;

beforeAll(() => {
  mkdirSync(wrapDir, { recursive: true });
  writeFileSync(join(wrapDir, 'skiff-shim'), `#!/bin/sh\nexec setpriv --bounding-set -sys_module,-sys_rawio -- ${NATIVE_BUILD_DIR}skiff-shim "$@"\n`, {
    mode: 0o755,
  });
});
afterAll(async () => {
  await rm(wrapDir, { recursive: true, force: true });
});

describe('shim syscall and capability limits', () => {
  it('refuses io_uring_setup, io_uring_enter and io_uring_register with EPERM', async () => {
    writeFileSync(join(wrapDir, 'uring.c'), URING_PROBE);
    execFileSync('gcc', ['-static', '-O2', '-o', join(wrapDir, 'uring'), join(wrapDir, 'uring.c')]);
    const registry = (await fixtureRegistry()).host;
    const client = new RegistryClient({ registry, insecure: true });
    const layer = await buildLayer([...busyboxEntries(), { name: 'uring', content: readFileSync(join(wrapDir, 'uring')), mode: 0o755 }]);
    await pushImage(client, 'skiff-test/uring', 'latest', buildImage([layer], BUSYBOX_CONFIG));
    const image = `${registry}/skiff-test/uring:latest`;
    await env.t.rt.images.pull(image);
    const r = await runCollect(env.t.rt, { image, cmd: ['/uring'] });
    expect(r.stdout).toBe('setup: Operation not permitted\nenter: Operation not permitted\nregister: Operation not permitted\n');
    // not even CAP_SYS_ADMIN opens it (Docker's profile has no capability gate for io_uring)
    const admin = await runCollect(env.t.rt, { image, cmd: ['/uring'], capAdd: ['SYS_ADMIN'] });
    expect(admin.stdout).toBe(r.stdout);
  }, 60_000);

  it('starts --cap-add ALL without the capabilities the bounding set lacks', async () => {
    const r = await runCollect(env.t.rt, { image: env.image, cmd: ['sh', '-c', 'grep -E "^Cap(Eff|Bnd)" /proc/self/status'], capAdd: ['ALL'] });
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    // what this host has (some already lack one, e.g. CAP_SYS_RESOURCE), less what setpriv dropped
    const hostBounding = BigInt(`0x${/^CapBnd:\s*([0-9a-f]+)$/m.exec(readFileSync('/proc/self/status', 'utf8'))![1]}`);
    const want = hostBounding & ~((1n << 16n) | (1n << 17n)); // CAP_SYS_MODULE, CAP_SYS_RAWIO
    const hex = want.toString(16).padStart(16, '0');
    expect(r.stdout).toBe(`CapEff:\t${hex}\nCapBnd:\t${hex}\n`);
    // the default set is untouched
    const d = await runCollect(env.t.rt, { image: env.image, cmd: ['sh', '-c', 'grep ^CapEff /proc/self/status'] });
    expect(d.stdout).toBe('CapEff:\t00000000a80425fb\n');
  });
});
