import { parseByteSize } from '@skiff/runtime';
import { DEFAULT_LOG_MAX_FILES, DEFAULT_LOG_MAX_SIZE, type LogFileOptions } from './log-file.js';
import { LEVELS, parseLevel, type Level } from '@skiff/logger';
export interface DaemonOptions {
  root: string;
  socket: string;
  http?: { host: string; port: number };
  /** the Docker Engine API's unix socket (root only); undefined = off */
  dockerSocket?: string;
  /** the Docker Engine API on TCP, API tokens only; off unless asked for */
  dockerTcp?: { host: string; port: number };
  insecureRegistries: string[];
  /** default bridge device and nftables table (SKIFF_BRIDGE, SKIFF_NFT_TABLE): lets a second agent (tests) coexist */
  bridge?: string;
  nftTable?: string;
  /** cgroup parent of the containers under every hierarchy (SKIFF_CGROUP_PARENT, default `skiff`): a second agent's cgroups stay apart */
  cgroupParent?: string;
  /** largest tRPC request body over TCP, bytes (SKIFF_MAX_BODY / --max-body; default 4 MiB) */
  maxBody?: number;
  /** `--log-file PATH` (SKIFF_LOG_FILE): the agent's output to a file rotated by size; undefined = stdout/stderr */
  logFile?: LogFileOptions;
  /** `--log-level` (SKIFF_LOG_LEVEL): the agent log's threshold, trace … fatal or silent; default info */
  logLevel: Level;
  /** `--proxy-http ADDR` (SKIFF_PROXY_HTTP): the apps' reverse proxy, plain HTTP; default `:80` (all interfaces), undefined = off */
  proxyHttp?: { host: string; port: number };
  /** `--proxy-https ADDR` (SKIFF_PROXY_HTTPS): the same over TLS; default `:443`, undefined = off */
  proxyHttps?: { host: string; port: number };
  /** `--acme-directory URL` (SKIFF_ACME_DIRECTORY) and `--acme-email ADDR` (SKIFF_ACME_EMAIL): the CA the apps' certificates come from */
  acmeDirectory?: string;
  acmeEmail?: string;
  /** `--help`: print the usage; `--cleanup`: remove the agent's host objects; `--purge`: and its root */
  action: 'serve' | 'help' | 'cleanup' | 'purge';
  /** with --cleanup/--purge: stop running containers instead of refusing */
  force: boolean;
}

export const USAGE = `usage: skiff daemon [--root DIR] [--socket PATH] [--http 127.0.0.1:PORT | --http off] [--docker-socket PATH | off] [--docker-tcp HOST:PORT] [--max-body SIZE] [--insecure-registry HOST:PORT ...]
                    [--log-file PATH [--log-max-size SIZE] [--log-max-files N]] [--log-level debug|info|warn|error]
                    [--proxy-http [HOST]:PORT | off] [--proxy-https [HOST]:PORT | off] [--acme-directory URL [--acme-email ADDR]]
       skiff daemon --cleanup [--force] [--root DIR]   remove the agent's bridges, nft table, cgroups and mounts (data stays)
       skiff daemon --purge [--force] [--root DIR]     the same, and remove the root with all images, volumes and containers
--log-file writes the agent's output to PATH (0600) instead of stdout/stderr, rotated at --log-max-size
(default 10m) into PATH.1, PATH.2 …, keeping at most --log-max-files files in all (default 5).
--log-level (default info, or SKIFF_LOG_LEVEL) sets which JSON lines the agent logs; debug adds expected failures.
--proxy-http and --proxy-https (default :80 and :443, all interfaces; or SKIFF_PROXY_HTTP/SKIFF_PROXY_HTTPS)
are where the apps' reverse proxy listens; off turns a listener off.
--acme-directory (https, e.g. Let's Encrypt's) turns on automatic certificates for the apps' domains (docs/apps.md).
--cleanup and --purge refuse while the agent or any container runs; --force stops the containers.`;

/** Flags win over the environment (SKIFF_ROOT, SKIFF_SOCKET, SKIFF_HTTP, SKIFF_INSECURE_REGISTRIES, SKIFF_LOG_FILE …). */
export function parseDaemonOptions(argv: string[], env: Record<string, string | undefined> = process.env): DaemonOptions {
  let root = env.SKIFF_ROOT || '/var/lib/skiff';
  let socket = env.SKIFF_SOCKET || '/run/skiff/skiff.sock';
  let http: string | undefined = env.SKIFF_HTTP || '127.0.0.1:7777';
  let dockerSocket = env.SKIFF_DOCKER_SOCKET || '/run/skiff/docker.sock';
  let dockerTcp: string | undefined = env.SKIFF_DOCKER_TCP || undefined;
  let maxBody = env.SKIFF_MAX_BODY || undefined;
  let logFile = env.SKIFF_LOG_FILE || undefined;
  let logMaxSize = env.SKIFF_LOG_MAX_SIZE || undefined;
  let logMaxFiles = env.SKIFF_LOG_MAX_FILES || undefined;
  let logLevel = env.SKIFF_LOG_LEVEL || 'info';
  let proxyHttp = env.SKIFF_PROXY_HTTP || ':80';
  let proxyHttps = env.SKIFF_PROXY_HTTPS || ':443';
  let acmeDirectory = env.SKIFF_ACME_DIRECTORY || undefined;
  let acmeEmail = env.SKIFF_ACME_EMAIL || undefined;
  let action: DaemonOptions['action'] = 'serve';
  let force = false;
  const insecure = (env.SKIFF_INSECURE_REGISTRIES ?? '')
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean);
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    const [flag, inline] = arg.startsWith('--') && arg.includes('=') ? [arg.slice(0, arg.indexOf('=')), arg.slice(arg.indexOf('=') + 1)] : [arg, undefined];
    const value = () => {
      const v = inline ?? argv[++i];
      if (v === undefined) throw new Error(`flag needs an argument: ${flag}\n${USAGE}`);
      return v;
    };
    switch (flag) {
      case '--root':
        root = value();
        break;
      case '--socket':
        socket = value();
        break;
      case '--http':
        http = value();
        break;
      case '--docker-socket':
        dockerSocket = value();
        break;
      case '--docker-tcp':
        dockerTcp = value();
        break;
      case '--insecure-registry':
        insecure.push(value());
        break;
      case '--max-body':
        maxBody = value();
        break;
      case '--log-file':
        logFile = value();
        break;
      case '--log-max-size':
        logMaxSize = value();
        break;
      case '--log-max-files':
        logMaxFiles = value();
        break;
      case '--log-level':
        logLevel = value();
        break;
      case '--proxy-http':
        proxyHttp = value();
        break;
      case '--proxy-https':
        proxyHttps = value();
        break;
      case '--acme-directory':
        acmeDirectory = value();
        break;
      case '--acme-email':
        acmeEmail = value();
        break;
      case '--help':
      case '-h':
        action = 'help';
        break;
      case '--cleanup':
        if (action !== 'help' && action !== 'purge') action = 'cleanup';
        break;
      case '--purge':
        if (action !== 'help') action = 'purge';
        break;
      case '--force':
      case '-f':
        force = true;
        break;
      default:
        throw new Error(`unknown flag: ${arg}\n${USAGE}`);
    }
  }
  let httpAddr: DaemonOptions['http'];
  if (http && http !== 'off') {
    const m = /^(.*):(\d+)$/.exec(http);
    if (!m) throw new Error(`invalid --http address "${http}" (want HOST:PORT)`);
    httpAddr = { host: m[1] || '127.0.0.1', port: Number(m[2]) };
  }
  const level = parseLevel(logLevel);
  if (!level) throw new Error(`invalid --log-level "${logLevel}" (want one of ${LEVELS.join(', ')})`);
  const out: DaemonOptions = { root, socket, http: httpAddr, insecureRegistries: insecure, action, force, logLevel: level };
  if (dockerSocket !== 'off') out.dockerSocket = dockerSocket;
  if (dockerTcp && dockerTcp !== 'off') {
    const m = /^(.*):(\d+)$/.exec(dockerTcp);
    if (!m) throw new Error(`invalid --docker-tcp address "${dockerTcp}" (want HOST:PORT)`);
    out.dockerTcp = { host: m[1] || '127.0.0.1', port: Number(m[2]) };
  }
  if (maxBody !== undefined) {
    const n = parseByteSize(maxBody);
    if (!n) throw new Error(`invalid --max-body "${maxBody}" (want a size such as 4m)`);
    out.maxBody = n;
  }
  if (logFile && logFile !== 'off') out.logFile = parseLogFile(logFile, logMaxSize, logMaxFiles);
  const ph = parseProxyAddress('--proxy-http', proxyHttp);
  if (ph) out.proxyHttp = ph;
  const phs = parseProxyAddress('--proxy-https', proxyHttps);
  if (phs) out.proxyHttps = phs;
  if (acmeDirectory) out.acmeDirectory = acmeDirectory;
  if (acmeEmail) out.acmeEmail = acmeEmail;
  if (env.SKIFF_BRIDGE) out.bridge = env.SKIFF_BRIDGE;
  if (env.SKIFF_NFT_TABLE) out.nftTable = env.SKIFF_NFT_TABLE;
  if (env.SKIFF_CGROUP_PARENT) out.cgroupParent = env.SKIFF_CGROUP_PARENT;
  return out;
}

/** `[HOST]:PORT` or `off`; an empty host is every interface (the proxy faces the outside, unlike --http) */
function parseProxyAddress(flag: string, text: string): { host: string; port: number } | undefined {
  if (text === 'off') return undefined;
  const m = /^(.*):(\d+)$/.exec(text);
  const port = m ? Number(m[2]) : Number.NaN;
  if (!m || port < 1 || port > 65535) throw new Error(`invalid ${flag} address "${text}" (want [HOST]:PORT or off)`);
  const host = m[1]!.replace(/^\[(.*)\]$/, '$1');
  return { host, port };
}

function parseLogFile(path: string, maxSize: string | undefined, maxFiles: string | undefined): LogFileOptions {
  if (!path.startsWith('/')) throw new Error(`invalid --log-file "${path}" (want an absolute path)`);
  const size = maxSize === undefined ? DEFAULT_LOG_MAX_SIZE : parseByteSize(maxSize);
  if (!size) throw new Error(`invalid --log-max-size "${maxSize}" (want a size such as 10m)`);
  const files = maxFiles === undefined ? DEFAULT_LOG_MAX_FILES : Number(maxFiles);
  if (!Number.isInteger(files) || files < 1 || files > 100) throw new Error(`invalid --log-max-files "${maxFiles}" (want 1 to 100)`);
  return { path, maxSize: size, maxFiles: files };
}
