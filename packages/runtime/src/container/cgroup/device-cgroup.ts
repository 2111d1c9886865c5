import { closeSync, openSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import { attachDeviceFilter } from '../../native/addon.js';

/**
 * Which device nodes a container may open or create, in cgroup v1 rule syntax. Without
 * this a container root keeps CAP_MKNOD (Docker's default set) and can mknod the host's
 * disks, /dev/kmsg or ttys and use them: the device cgroup is what makes mknod harmless.
 * The default list is moby's (oci/defaults.go): mknod of anything, use of the null/zero/
 * full/random/urandom, tty/console/ptmx, pts and tun nodes only.
 */
export const DEFAULT_DEVICE_RULES: readonly string[] = [
  'c *:* m',
  'b *:* m',
  'c 1:3 rwm', // null
  'c 1:5 rwm', // zero
  'c 1:7 rwm', // full
  'c 1:8 rwm', // random
  'c 1:9 rwm', // urandom
  'c 5:0 rwm', // tty
  'c 5:1 rwm', // console
  'c 5:2 rwm', // ptmx
  'c 136:* rwm', // pts
  'c 10:200 rwm', // tun
];

/** v1: everything denied, then each allowed rule (the kernel takes one rule per write). */
export function applyV1DeviceRules(dir: string, rules: readonly string[] = DEFAULT_DEVICE_RULES): void {
  writeRules(join(dir, 'devices.deny'), ['a']);
  writeRules(join(dir, 'devices.allow'), rules);
}

/** v2: a BPF_CGROUP_DEVICE program on the container's cgroup (native/addon/device-filter.c). */
export function applyV2DeviceRules(dir: string, rules: readonly string[] = DEFAULT_DEVICE_RULES): void {
  attachDeviceFilter(dir, rules.join('\n'));
}

function writeRules(file: string, rules: readonly string[]): void {
  const fd = openSync(file, 'w');
  try {
    for (const r of rules) writeSync(fd, r);
  } finally {
    closeSync(fd);
  }
}
