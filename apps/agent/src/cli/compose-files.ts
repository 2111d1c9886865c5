import { io } from './io.js';
import { readFile, stat } from 'node:fs/promises';
import { dirname, join, resolve } from 'node:path';
import { readEnvFile } from '@skiff/compose';
import { CliError } from './errors.js';

/** Compose's default file names, in its order of preference */
const DEFAULT_FILES = ['compose.yaml', 'compose.yml', 'docker-compose.yml', 'docker-compose.yaml'];

export interface ComposeRequest {
  files: { path: string; content: string }[];
  projectName?: string;
  env: Record<string, string>;
  profiles?: string[];
}

async function isFile(p: string): Promise<boolean> {
  return (await stat(p).catch(() => undefined))?.isFile() ?? false;
}

/** the first default file in `dir` or a parent, as `docker compose` looks for it */
async function findDefault(dir: string): Promise<string | undefined> {
  for (let d = dir; ; d = dirname(d)) {
    for (const name of DEFAULT_FILES) if (await isFile(join(d, name))) return join(d, name);
    if (dirname(d) === d) return undefined;
  }
}

async function readStdin(): Promise<string> {
  if (io().stdin.isTTY) throw new CliError('the compose file is stdin (-f -), but stdin is a terminal: pipe the file into it', 14);
  let text = '';
  io().stdin.setEncoding('utf8');
  for await (const chunk of io().stdin) text += chunk as string;
  return text;
}

/**
 * What `skiff compose` sends the agent: the files' text, the variables for interpolation
 * (the shell's environment over the project's `.env` or `--env-file`, like Compose), and
 * the project name.
 */
export async function composeRequest(opts: {
  files: string[];
  projectName?: string;
  envFiles: string[];
  profiles: string[];
  projectDirectory?: string;
}): Promise<ComposeRequest> {
  // `-f -`: the file is stdin, its relative paths against the project directory (the current one by default)
  const stdinPath = join(resolve(opts.projectDirectory ?? '.'), '-');
  let paths = opts.files.map((f) => (f === '-' ? stdinPath : resolve(f)));
  if (!paths.length) {
    const found = await findDefault(resolve(opts.projectDirectory ?? '.'));
    if (!found) {
      throw new CliError(
        'no configuration file provided: not found (looked for compose.yaml, compose.yml, docker-compose.yml, docker-compose.yaml here and in parent directories)',
        14,
      );
    }
    paths = [found];
  }
  const files = await Promise.all(
    paths.map(async (path) => {
      try {
        if (path === stdinPath) return { path, content: await readStdin() };
        return { path, content: await readFile(path, 'utf8') };
      } catch (e) {
        throw new CliError(`open ${path}: ${(e as NodeJS.ErrnoException).code === 'ENOENT' ? 'no such file or directory' : (e as Error).message}`, 14);
      }
    }),
  );
  const projectDir = resolve(opts.projectDirectory ?? dirname(paths[0]!));
  const env: Record<string, string> = {};
  const envFiles = opts.envFiles.length ? opts.envFiles.map((f) => resolve(f)) : [join(projectDir, '.env')];
  for (const f of envFiles) {
    const text = await readFile(f, 'utf8').catch((e: NodeJS.ErrnoException) => {
      if (e.code === 'ENOENT' && !opts.envFiles.length) return undefined; // .env is optional, --env-file is not
      throw new CliError(`couldn't find env file: ${f}`, 14);
    });
    if (text !== undefined) Object.assign(env, readEnvFile(text));
  }
  for (const [k, v] of Object.entries(io().env)) if (v !== undefined) env[k] = v;
  const profiles = opts.profiles.length ? opts.profiles : (io().env.COMPOSE_PROFILES?.split(',').filter(Boolean) ?? []);
  return { files, projectName: opts.projectName ?? io().env.COMPOSE_PROJECT_NAME, env, profiles };
}
