import { randomBytes } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import type { Duplex } from 'node:stream';
import type { StdioSession } from '@skiff/runtime';
import type { ExecBackend } from './backend.js';
import { containerState, requireRunning } from './container-state.js';
import { frame, pipeSession } from './frames.js';
import { API_VERSION, DockerApiError, readJsonBody, sendJson } from './http.js';
import type { Route } from './route.js';
import { assertHostAccess } from '../auth/host-access.js';
import { principalOf } from '../auth/request-principal.js';

interface ExecEntry {
  id: string;
  containerId: string;
  cmd: string[];
  tty: boolean;
  stdin: boolean;
  stdout: boolean;
  stderr: boolean;
  env?: string[];
  workingDir?: string;
  user?: string;
  privileged: boolean;
  running: boolean;
  exitCode: number | null;
  session?: StdioSession;
  /** a resize that came before the session existed */
  size?: { rows: number; cols: number };
  created: number;
}

/** the largest exec start body (it is `{"Detach":false,"Tty":false}` and the like) */
const MAX_START_BODY = 64 * 1024;

/** Docker keeps exec instances until their container goes; here they expire an hour after they end. */
const KEEP_MS = 60 * 60_000;

/**
 * Docker's two-step exec (create, then start on a hijacked connection), on top of the
 * runtime's one-call exec. The instances live in the agent's memory, as in dockerd.
 */
export class DockerExecs {
  private readonly execs = new Map<string, ExecEntry>();

  constructor(private readonly runtime: ExecBackend) {}

  private get(id: string): ExecEntry {
    const e = this.execs.get(id);
    if (!e) throw new DockerApiError(404, `No such exec instance: ${id}`);
    return e;
  }

  private sweep(): void {
    const now = Date.now();
    for (const [id, e] of this.execs) if (!e.running && now - e.created > KEEP_MS) this.execs.delete(id);
  }

  readonly routes: Route<unknown>[] = [
    {
      method: 'POST',
      pattern: /^\/containers\/([^/]+)\/exec$/,
      handle: async ({ req, res, params }) => {
        this.sweep();
        const body =
          (await readJsonBody<{
            Cmd?: string[] | string;
            Tty?: boolean;
            AttachStdin?: boolean;
            AttachStdout?: boolean;
            AttachStderr?: boolean;
            Env?: string[];
            WorkingDir?: string;
            User?: string;
            Privileged?: boolean;
          }>(req)) ?? {};
        const ref = decodeURIComponent(params[0]!);
        // checked here, at create: the start runs later on a hijacked connection
        await assertHostAccess(principalOf(req), { privileged: !!body.Privileged }, async () => ({ allowedBindRoots: [] }));
        const state = await containerState(this.runtime, ref);
        requireRunning(state);
        // dockerd names the container as given here, not by its id
        if (state.paused) throw new DockerApiError(409, `Container ${ref} is paused, unpause the container before exec`);
        const cmd = Array.isArray(body.Cmd) ? body.Cmd : body.Cmd ? [body.Cmd] : [];
        if (!cmd.length) throw new DockerApiError(400, 'no exec command specified');
        const id = randomBytes(32).toString('hex');
        this.execs.set(id, {
          id,
          containerId: state.id,
          cmd,
          tty: !!body.Tty,
          stdin: !!body.AttachStdin,
          stdout: body.AttachStdout ?? true,
          stderr: body.AttachStderr ?? true,
          env: body.Env,
          workingDir: body.WorkingDir || undefined,
          user: body.User || undefined,
          privileged: !!body.Privileged,
          running: false,
          exitCode: null,
          created: Date.now(),
        });
        this.runtime.containers.announceExec(state.id, id, cmd);
        sendJson(res, 201, { Id: id });
      },
    },
    {
      method: 'GET',
      pattern: /^\/exec\/([^/]+)\/json$/,
      handle: async ({ res, params }) => {
        const e = this.get(params[0]!);
        sendJson(res, 200, {
          ID: e.id,
          Running: e.running,
          ExitCode: e.exitCode,
          ProcessConfig: { tty: e.tty, entrypoint: e.cmd[0], arguments: e.cmd.slice(1), privileged: e.privileged, user: e.user ?? '' },
          OpenStdin: e.stdin,
          OpenStdout: e.stdout,
          OpenStderr: e.stderr,
          CanRemove: false,
          ContainerID: e.containerId,
          DetachKeys: '',
          Pid: 0,
        });
      },
    },
    {
      method: 'POST',
      pattern: /^\/exec\/([^/]+)\/resize$/,
      handle: async ({ res, url, params }) => {
        const e = this.get(params[0]!);
        const rows = Number(url.searchParams.get('h'));
        const cols = Number(url.searchParams.get('w'));
        if (!(rows > 0 && cols > 0)) throw new DockerApiError(400, 'resize needs h and w');
        if (e.session) e.session.resize(rows, cols);
        else e.size = { rows, cols };
        res.writeHead(200, { 'api-version': API_VERSION }).end();
      },
    },
    {
      // a start without an upgrade header: detached, or a client that does not hijack
      method: 'POST',
      pattern: /^\/exec\/([^/]+)\/start$/,
      handle: async ({ req, res, params }) => {
        const body = (await readJsonBody<{ Detach?: boolean }>(req)) ?? {};
        const e = this.get(params[0]!);
        const session = await this.begin(e);
        if (body.Detach) {
          res.writeHead(200, { 'api-version': API_VERSION }).end();
          return;
        }
        res.writeHead(200, { 'content-type': e.tty ? 'application/vnd.docker.raw-stream' : 'application/vnd.docker.multiplexed-stream' });
        if (e.stdout) session.on('stdout', (d: Buffer) => res.write(e.tty ? d : frame('stdout', d)));
        if (e.stderr) session.on('stderr', (d: Buffer) => res.write(e.tty ? d : frame('stderr', d)));
        session.on('exit', () => res.end());
      },
    },
  ];

  private async begin(e: ExecEntry): Promise<StdioSession> {
    if (e.running || e.exitCode !== null) throw new DockerApiError(409, `exec ${e.id} has already been started`);
    e.running = true;
    try {
      e.session = await this.runtime.containers.exec(e.containerId, {
        cmd: e.cmd,
        tty: e.tty,
        stdin: e.stdin,
        env: e.env,
        workingDir: e.workingDir,
        user: e.user,
        privileged: e.privileged,
        execId: e.id,
      });
    } catch (err) {
      e.running = false;
      throw err;
    }
    if (e.size) e.session.resize(e.size.rows, e.size.cols);
    e.session.on('exit', (code: number) => {
      e.exitCode = code;
      e.running = false;
    });
    return e.session;
  }

  /**
   * `POST /exec/{id}/start` with `Upgrade: tcp`: the JSON body ({Detach, Tty}) comes first on
   * the raw connection, then the client's stdin.
   */
  async hijack(req: IncomingMessage, socket: Duplex, head: Buffer, execId: string): Promise<void> {
    const length = Number(req.headers['content-length'] ?? 0);
    // the body is a small JSON object ({Detach, Tty}); a bigger one is not read into memory
    if (!(length <= MAX_START_BODY)) {
      socket.end('HTTP/1.1 413 Payload Too Large\r\nContent-Type: application/json\r\nConnection: close\r\n\r\n{"message":"request body too large"}');
      return;
    }
    let buffered = head;
    while (buffered.length < length) {
      const chunk = await new Promise<Buffer | null>((resolve) => {
        socket.once('data', resolve);
        socket.once('end', () => resolve(null));
      });
      if (!chunk) break;
      buffered = Buffer.concat([buffered, chunk]);
    }
    const rest = buffered.subarray(length);
    const e = this.get(execId);
    const session = await this.begin(e);
    socket.write(
      `HTTP/1.1 101 UPGRADED\r\nContent-Type: ${e.tty ? 'application/vnd.docker.raw-stream' : 'application/vnd.docker.multiplexed-stream'}\r\nConnection: Upgrade\r\nUpgrade: tcp\r\n\r\n`,
    );
    // stdin the client sent right behind the body comes first
    if (e.stdin && rest.length) session.write(rest);
    pipeSession(session, socket, { tty: e.tty, stdout: e.stdout, stderr: e.stderr, stdin: e.stdin, onClose: () => e.running && session.detach() });
  }
}
