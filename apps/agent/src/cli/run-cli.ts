import { SKIFF_VERSION } from '@skiff/runtime';
import { connectAgent } from './client.js';
import { CliError, exitCodeOf, messageOf } from './errors.js';
import { HelpRequested } from './help.js';
import { io } from './io.js';
import type { SkiffClient } from './client.js';

type Handler = (client: SkiffClient, argv: string[]) => Promise<number>;

// Each command's module is loaded only when it runs: a CLI call parses the code of one
// command (and its dependencies: yaml for compose, the Dockerfile parser for build, …),
// not of all of them. See docs/performance.md, "Start latency".
const containers = () => import('./commands/containers.js');
const views = () => import('./commands/container-views.js');
const images = () => import('./commands/images.js');
const imageIo = () => import('./commands/image-io.js');
const system = () => import('./commands/system.js');
const access = () => import('./commands/access.js');
const run = () => import('./commands/run.js');

/** the handler `pick` takes from a module, once `load` has loaded it */
const from =
  <M>(load: () => Promise<M>, pick: (m: M) => Handler) =>
  async (): Promise<Handler> =>
    pick(await load());

const COMMANDS: Record<string, () => Promise<Handler>> = {
  run: from(run, (m) => m.runCommand),
  create: from(run, (m) => m.createCommand),
  start: from(containers, (m) => m.startCommand),
  stop: from(containers, (m) => (cl, a) => m.stopCommand(cl, a, 'stop')),
  restart: from(containers, (m) => (cl, a) => m.stopCommand(cl, a, 'restart')),
  kill: from(containers, (m) => m.killCommand),
  pause: from(containers, (m) => (cl, a) => m.simpleCommand(cl, a, 'pause')),
  unpause: from(containers, (m) => (cl, a) => m.simpleCommand(cl, a, 'unpause')),
  rm: from(containers, (m) => m.rmCommand),
  ps: from(views, (m) => m.psCommand),
  inspect: from(views, (m) => m.inspectCommand),
  logs: from(views, (m) => m.logsCommand),
  exec: from(containers, (m) => m.execCommand),
  attach: from(containers, (m) => m.attachCommand),
  top: from(views, (m) => m.topCommand),
  stats: from(views, (m) => m.statsCommand),
  wait: from(containers, (m) => m.waitCommand),
  diff: from(containers, (m) => m.diffCommand),
  commit: from(containers, (m) => m.commitCommand),
  rename: from(containers, (m) => m.renameCommand),
  update: from(containers, (m) => m.updateCommand),
  port: from(views, (m) => m.portCommand),
  cp: from(
    () => import('./commands/cp.js'),
    (m) => m.cpCommand,
  ),
  pull: from(images, (m) => m.pullCommand),
  images: from(images, (m) => m.imagesCommand),
  rmi: from(images, (m) => m.rmiCommand),
  tag: from(images, (m) => m.tagCommand),
  push: from(images, (m) => m.pushCommand),
  history: from(images, (m) => m.historyCommand),
  build: from(
    () => import('./commands/build.js'),
    (m) => m.buildCommand,
  ),
  compose: from(
    () => import('./commands/compose.js'),
    (m) => m.composeCommand,
  ),
  save: from(imageIo, (m) => m.saveCommand),
  load: from(imageIo, (m) => m.loadCommand),
  export: from(imageIo, (m) => m.exportCommand),
  import: from(imageIo, (m) => m.importCommand),
  info: from(system, (m) => m.infoCommand),
  system: from(system, (m) => m.systemCommand),
  events: from(system, (m) => m.eventsCommand),
  volume: from(
    () => import('./commands/volumes.js'),
    (m) => m.volumeCommand,
  ),
  network: from(
    () => import('./commands/networks.js'),
    (m) => m.networkCommand,
  ),
  template: from(
    () => import('./commands/templates.js'),
    (m) => m.templateCommand,
  ),
  backup: from(
    () => import('./commands/backups.js'),
    (m) => m.backupCommand,
  ),
  user: from(access, (m) => m.userCommand),
  token: from(access, (m) => m.tokenCommand),
  login: from(access, (m) => m.loginCommand),
  logout: from(access, (m) => m.logoutCommand),
  app: from(
    () => import('./commands/apps.js'),
    (m) => m.appCommand,
  ),
};
const ALIASES: Record<string, string> = { container: '', image: '' };

const USAGE = `Usage: skiff COMMAND [OPTIONS]

A self-hosted container platform: an agent with its own runtime, and this CLI.

Commands:
  daemon      Run the agent (root)
  run         Create and run a new container from an image
  create      Create a new container
  start/stop/restart/kill/pause/unpause/rm   Container lifecycle
  ps          List containers
  inspect     Low-level information on containers and images
  logs        Fetch the logs of a container
  exec        Run a command in a running container
  attach      Attach to a running container's stdio
  top         Running processes of a container
  stats       Resource usage of containers
  wait        Block until containers stop, print their exit codes
  cp          Copy files between a container and the host
  diff        Changes to a container's filesystem
  commit      Create a new image from a container's changes
  rename      Rename a container
  update      Change a container's limits (-m, --memory-swap, --cpus, -c, --pids-limit, --cpuset-cpus, --cpuset-mems) or --restart
  build       Build an image from a Dockerfile (context dir, or - for a tar/Dockerfile on stdin)
  history     Show the history of an image
  pull        Pull an image from a registry
  push        Push an image to a registry
  images      List images
  rmi         Remove images
  tag         Tag an image
  save        Save images to a tar archive (docker-archive + OCI layout; stdout by default)
  load        Load images from a tar archive or stdin
  export      Export a container's filesystem as a tar archive
  import      Import a filesystem tarball as an image
  compose     Multi-container apps from compose.yaml (up, down, ps, logs, exec, …)
  template    One-click templates: list, show, deploy as a stack; catalogues

  app         Applications from git or an image: create, deploy, rollback, ls, logs, rm

  volume      Manage volumes (create, ls, inspect, rm, prune)
  network     Manage networks (create, ls, inspect, rm, prune, connect, disconnect)
  backup      Volume and database backups (create, ls, run, runs, restore, rm)
  port        List a container's published ports
  login       Store registry credentials in the agent (used by pull)
  user        Manage dashboard/API users (create, ls, rm, passwd)
  token       Manage API tokens (create, ls, rm)
  info        System-wide information
  system      df, prune, events
  events      Lifecycle events as they happen
  version     Client and agent versions

The agent is found through SKIFF_HOST (default unix:///run/skiff/skiff.sock).
Run 'skiff COMMAND --help' for more information on a command.
`;

/**
 * The commands the agent runs for the native client (daemon/cli-host.ts). Left out, and run
 * by the Node CLI instead: those that read or write the caller's files (a call in the agent
 * would do it as root, not as the caller), the credential ones, and compose (its own
 * Ctrl+C handling).
 */
const NOT_IN_AGENT = new Set(['daemon', 'cp', 'build', 'save', 'load', 'export', 'import', 'compose', 'login', 'logout', 'user', 'token', 'template']);

/** Can the agent run this call (argv without the program name)? */
export function servedInAgent(argv: string[]): boolean {
  const [command = '', sub] = argv;
  return !NOT_IN_AGENT.has(command in ALIASES && sub ? sub : command);
}

/** thrown by offlineClient() when a command gets as far as calling the agent */
class NeedsAgent extends Error {}

/** a client that is never used: any call throws NeedsAgent */
function offlineClient(): SkiffClient {
  return new Proxy({} as SkiffClient, {
    get() {
      throw new NeedsAgent('no agent connection yet');
    },
  });
}

/**
 * One CLI call, to its exit code: what it prints goes to io() (errors as `skiff: …` on
 * stderr), so the same code serves a Node process and the agent (daemon/cli-host.ts).
 */
export async function runCli(argv: string[]): Promise<number> {
  try {
    return await dispatch(argv);
  } catch (e) {
    if (e instanceof HelpRequested) {
      io().stdout.write(e.text);
      return 0;
    }
    io().stderr.write(`skiff: ${messageOf(e)}\n`);
    return exitCodeOf(e);
  }
}

async function dispatch(argv: string[]): Promise<number> {
  let [command, ...rest] = argv;
  // `skiff container ls` / `skiff image ls` forms
  if (command && command in ALIASES && rest.length) {
    const sub = rest.shift()!;
    if (sub === 'prune') {
      const conn = await connectAgent();
      try {
        if (command === 'container') {
          const r = await conn.client.containers.prune.mutate();
          io().stdout.write(`Deleted Containers:\n${r.deleted.map((d) => `${d}\n`).join('')}`);
        } else {
          const r = await conn.client.images.prune.mutate();
          io().stdout.write(`Deleted Images:\n${r.deleted.map((d) => `${d}\n`).join('')}Total reclaimed space: ${r.spaceReclaimed}B\n`);
        }
        return 0;
      } finally {
        conn.close();
      }
    }
    command = { ls: command === 'image' ? 'images' : 'ps', list: command === 'image' ? 'images' : 'ps', rm: command === 'image' ? 'rmi' : 'rm' }[sub] ?? sub;
  }
  if (!command || command === '--help' || command === '-h' || command === 'help') {
    io().stdout.write(USAGE);
    return command ? 0 : 0;
  }
  if (command === '--version' || command === '-v') {
    io().stdout.write(`Skiff version ${SKIFF_VERSION}\n`);
    return 0;
  }
  if (command === 'version') {
    let failure: unknown;
    const conn = await connectAgent().catch((e: unknown) => {
      failure = e;
      return undefined;
    });
    try {
      await (await system()).versionCommand(conn?.client, SKIFF_VERSION);
    } finally {
      conn?.close();
    }
    if (failure) throw failure; // like `docker version`: client part printed, then the error
    return 0;
  }
  const load = COMMANDS[command];
  if (!load) throw new CliError(`unknown command "${command}" for "skiff"\nRun 'skiff --help' for usage.`);
  if (rest.some((a) => a === '--help' || a === '-h')) {
    // the command's own parser prints its help (HelpRequested) before it needs the agent, so
    // help works with no agent; where `-h` meant a flag (`run -h HOST`) it runs for real below
    const handler = await load();
    try {
      return await handler(offlineClient(), rest);
    } catch (e) {
      if (!(e instanceof NeedsAgent)) throw e;
    }
  }
  // the command's code loads while the connection is made
  const [handler, conn] = await Promise.all([load(), connectAgent().catch((e: unknown) => e as Error)]);
  if (conn instanceof Error) {
    // no agent: a usage error (unknown flag, missing argument) is still the one to report
    try {
      await handler(offlineClient(), rest);
    } catch (e) {
      if (!(e instanceof NeedsAgent)) throw e;
    }
    throw conn;
  }
  const { client, close } = conn;
  try {
    return await handler(client, rest);
  } finally {
    close();
  }
}
