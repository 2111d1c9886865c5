import { describe, expect, it } from 'vitest';
import { runCollect, useTestRuntime } from './helpers.js';

const env = useTestRuntime();

/**
 * Container-escape probes through kernel interfaces, run as root inside a default
 * container (Docker's capability set). Each probe is a shell command that would give the
 * container a lever on the host if it succeeded; the test asserts each one is refused for
 * the right reason (never "not found": a probe that cannot run proves nothing).
 * File-path races, devices and loopback have their own files (security-fs, -devices,
 * -network, -mounts).
 */
const PROBES: Record<string, string> = {
  'write a sysctl (/proc/sys)': 'echo 1 > /proc/sys/kernel/panic',
  'set the host core_pattern': 'echo "|/tmp/x" > /proc/sys/kernel/core_pattern',
  'trigger sysrq': 'echo h > /proc/sysrq-trigger',
  'write sysfs': 'echo /tmp/x > /sys/kernel/uevent_helper',
  'make a cgroup (release_agent escapes)': 'mkdir /sys/fs/cgroup/skiff-escape',
  'mount a filesystem': 'mkdir -p /mnt/t && mount -t tmpfs none /mnt/t',
  'mount cgroupfs': 'mkdir -p /mnt/c && mount -t cgroup -o memory none /mnt/c',
  'new mount namespace': 'unshare -m true',
  'new user namespace': 'unshare -U true',
  "enter PID 1's namespaces again": 'nsenter -t 1 -m -u true',
  'read the kernel keyring': 'cat /proc/keys | grep -q .',
  'read timer_list': 'cat /proc/timer_list | grep -q .',
  'change the hostname': 'hostname skiff-escape',
  'load a kernel module': 'insmod /bin/busybox',
  'read /proc/1/mem': 'head -c1 /proc/1/mem >/dev/null',
  'reboot the host': 'reboot -f -n',
  'set the clock': 'date -s "2001-01-01 00:00:00"; test "$(date +%Y)" = 2001',
  'raw block I/O via a created node': 'mknod /tmp/b b 7 0 && head -c1 /tmp/b >/dev/null',
  'write the kernel log via a created node': 'mknod /tmp/k c 1 11 && echo skiff-escape > /tmp/k',
  swapon: 'swapon /tmp',
};

describe('a default container cannot reach the host through kernel interfaces', () => {
  it('refuses every probe', async () => {
    const script = Object.entries(PROBES)
      .map(([, cmd], i) => `if (${cmd}) >/tmp/o${i} 2>&1; then echo "${i}=ALLOWED"; else echo "${i}=refused $(head -c 200 /tmp/o${i} | tr '\\n' ' ')"; fi`)
      .join('\n');
    const r = await runCollect(env.t.rt, { image: env.image, cmd: ['sh', '-c', script] });
    const names = Object.keys(PROBES);
    const results = Object.fromEntries(
      r.stdout
        .trim()
        .split('\n')
        .map((l) => {
          const [i, rest] = [l.slice(0, l.indexOf('=')), l.slice(l.indexOf('=') + 1)];
          return [names[Number(i)]!, rest];
        }),
    );
    expect(Object.keys(results)).toEqual(names);
    for (const [name, outcome] of Object.entries(results)) {
      expect(outcome, name).toMatch(/^refused/);
      expect(outcome, `${name} did not run`).not.toMatch(/applet not found|not found$/);
    }
  });

  it('the probes are real: with CAP_SYS_ADMIN added, mount and unshare go through', async () => {
    const r = await runCollect(env.t.rt, {
      image: env.image,
      capAdd: ['SYS_ADMIN'],
      cmd: ['sh', '-c', 'mkdir -p /mnt/t && mount -t tmpfs none /mnt/t && echo mounted; unshare -m true && echo unshared'],
    });
    expect(r.stdout).toContain('mounted');
    expect(r.stdout).toContain('unshared');
  });
});
