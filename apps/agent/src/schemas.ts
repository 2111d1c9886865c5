import { ULIMIT_NAMES, validateDns, validateExtraHost, validateLink, validateUserSpec } from '@skiff/runtime';
import { z } from 'zod';

/** a string the runtime's own validator accepts; its message becomes the 400's */
const checkedBy = (check: (s: string) => void) =>
  z.string().superRefine((s, ctx) => {
    try {
      check(s);
    } catch (e) {
      ctx.addIssue({ code: 'custom', message: (e as Error).message });
    }
  });
const validateDns1 = (s: string) => validateDns([s]);
/** reaches the shim as a C string, where a NUL would silently cut it short */
const cString = z.string().refine((s) => !s.includes('\0'), 'must not contain a NUL byte');

const name = z.string().min(1).max(256);
export const idOrName = z.string().min(1).max(256);

export const restartPolicy = z.discriminatedUnion('name', [
  z.object({ name: z.literal('no') }),
  z.object({ name: z.literal('on-failure'), maximumRetryCount: z.number().int().min(0).optional() }),
  z.object({ name: z.literal('always') }),
  z.object({ name: z.literal('unless-stopped') }),
]);

export const mountRequest = z
  .object({
    type: z.enum(['bind', 'volume', 'tmpfs']),
    source: z.string().max(4096).optional(),
    target: z.string().min(1).max(4096),
    readOnly: z.boolean().optional(),
    tmpfsSize: z.number().int().min(0).optional(),
    tmpfsMode: z.number().int().min(0).max(0o7777).optional(),
    tmpfsOptions: z
      .array(
        z.string().regex(/^(no)?(exec|suid|dev)$|^(uid|gid|nr_inodes)=\d{1,10}$/, 'a tmpfs option: [no]exec, [no]suid, [no]dev, uid=N, gid=N or nr_inodes=N'),
      )
      .max(16)
      .optional(),
    noCopy: z.boolean().optional(),
  })
  .strict();

/** `--cpuset-cpus` / `--cpuset-mems`: `0-2,4`; the host's own list is checked by the runtime */
const cpuList = z
  .string()
  .max(256)
  .regex(/^$|^\d+(-\d+)?(,\d+(-\d+)?)*$/, 'a CPU list such as 0-2,4');

/** ContainerUpdateSpec at the edge (`docker update`) */
export const containerUpdateSpec = z
  .object({
    memory: z.number().int().min(0).optional(),
    memorySwap: z.number().int().min(-1).optional(),
    nanoCpus: z.number().int().min(1).optional(),
    cpuShares: z.number().int().min(0).optional(),
    pidsLimit: z.number().int().optional(),
    cpusetCpus: cpuList.optional(),
    cpusetMems: cpuList.optional(),
    restartPolicy: restartPolicy.optional(),
  })
  .strict();

/** ContainerCreateSpec at the edge: every field the runtime accepts, nothing else. */
export const containerCreateSpec = z
  .object({
    image: z.string().min(1).max(512),
    name: name.optional(),
    cmd: z.array(cString).optional(),
    entrypoint: z.array(cString).optional(),
    env: z.array(cString.min(1)).optional(),
    workingDir: cString.optional(),
    user: checkedBy(validateUserSpec).optional(),
    hostname: z.string().max(63).optional(),
    labels: z.record(cString, cString).optional(),
    tty: z.boolean().optional(),
    openStdin: z.boolean().optional(),
    autoRemove: z.boolean().optional(),
    init: z.boolean().optional(),
    readOnly: z.boolean().optional(),
    cgroupns: z.enum(['private', 'host']).optional(),
    capAdd: z.array(z.string()).optional(),
    capDrop: z.array(z.string()).optional(),
    restartPolicy: restartPolicy.optional(),
    network: z.string().optional(),
    memory: z.number().int().min(0).optional(),
    memorySwap: z.number().int().min(-1).optional(),
    nanoCpus: z.number().int().min(0).optional(),
    cpuShares: z.number().int().min(0).optional(),
    pidsLimit: z.number().int().optional(),
    cpusetCpus: cpuList.optional(),
    cpusetMems: cpuList.optional(),
    shmSize: z.number().int().min(0).optional(),
    ulimits: z
      .array(
        z
          .object({
            name: z.string().refine((n) => (ULIMIT_NAMES as readonly string[]).includes(n), `a ulimit name: ${ULIMIT_NAMES.join(', ')}`),
            soft: z.number().int().min(-1),
            hard: z.number().int().min(-1),
          })
          .strict(),
      )
      .max(ULIMIT_NAMES.length)
      .optional(),
    // names and namespaces are checked by the runtime (validateSysctls), with the network known
    sysctls: z.record(z.string().min(1).max(256), z.string().max(4096)).optional(),
    exposedPorts: z
      .array(z.string().regex(/^\d{1,5}(\/(tcp|udp))?$/))
      .max(1024)
      .optional(),
    stopSignal: z.string().optional(),
    stopTimeout: z.number().int().optional(),
    mounts: z.array(mountRequest).max(256).optional(),
    volumesFrom: z.array(z.string().min(1)).optional(),
    ports: z
      .array(
        z.object({
          containerPort: z.number().int().min(1).max(65535),
          protocol: z.enum(['tcp', 'udp']),
          hostIp: z.union([z.literal(''), z.ipv4(), z.ipv6()]).optional(),
          hostPort: z.number().int().min(0).max(65535).optional(),
        }),
      )
      .max(1024)
      .optional(),
    publishAll: z.boolean().optional(),
    ip: z.string().max(64).optional(),
    networkAliases: z.array(cString.min(1).max(255)).optional(),
    links: z.array(checkedBy(validateLink).min(1)).optional(),
    dns: z.array(checkedBy(validateDns1).max(64)).optional(),
    extraHosts: z.array(checkedBy(validateExtraHost).max(300)).optional(),
    macAddress: z.string().max(32).optional(),
    healthcheck: z
      .object({
        test: z.array(cString).max(4096).optional(),
        // nanoseconds, as Docker's API
        interval: z.number().int().min(0).optional(),
        timeout: z.number().int().min(0).optional(),
        startPeriod: z.number().int().min(0).optional(),
        startInterval: z.number().int().min(0).optional(),
        retries: z.number().int().min(0).optional(),
      })
      .strict()
      .optional(),
  })
  .strict();

export const execSpec = z
  .object({
    cmd: z.array(cString).min(1),
    tty: z.boolean().optional(),
    stdin: z.boolean().optional(),
    env: z.array(cString).optional(),
    workingDir: cString.optional(),
    user: checkedBy(validateUserSpec).optional(),
    privileged: z.boolean().optional(),
  })
  .strict();

export const logsOptions = z
  .object({
    follow: z.boolean().optional(),
    tail: z.number().int().min(0).optional(),
    since: z.number().optional(),
    until: z.number().optional(),
    timestamps: z.boolean().optional(),
    stdout: z.boolean().optional(),
    stderr: z.boolean().optional(),
  })
  .strict();
