import { renderProject } from '@skiff/compose';
import { stringify } from 'yaml';
import { parseFlags } from '../args.js';
import type { SkiffClient } from '../client.js';
import type { ComposeRequest } from '../compose-files.js';
import { CliError } from '../errors.js';
import { io } from '../io.js';

const lines = (names: string[]) => names.map((n) => `${n}\n`).join('');

/**
 * `skiff compose config [--services | --volumes | --networks] [-q] [--format yaml|json]`:
 * the project as `docker compose config` prints it, a Compose file that loads again to the
 * same project (`skiff compose -f - up` takes it); -q only validates.
 */
export async function composeConfigCommand(client: SkiffClient, request: () => Promise<ComposeRequest>, argv: string[]): Promise<number> {
  const { flags: f } = parseFlags(
    argv,
    {
      services: { type: 'boolean' },
      volumes: { type: 'boolean', help: 'Print the volume names, one per line' },
      networks: { type: 'boolean', help: 'Print the network names, one per line' },
      format: { type: 'string', help: 'Format the output: yaml (default) or json' },
      quiet: { type: 'boolean', short: 'q', help: 'Only validate the configuration, print nothing' },
    },
    { command: 'compose config' },
  );
  const format = f.format ?? 'yaml';
  if (format !== 'yaml' && format !== 'json') throw new CliError(`unsupported format "${format}" (yaml or json)`);
  const project = await client.compose.config.query(await request());
  for (const w of project.warnings ?? []) io().stderr.write(`WARN ${w}\n`);
  if (f.quiet) return 0;
  if (f.services) io().stdout.write(lines(Object.keys(project.services)));
  else if (f.volumes) io().stdout.write(lines(Object.keys(project.volumes)));
  else if (f.networks) io().stdout.write(lines(Object.keys(project.networks)));
  else {
    const doc = renderProject(project);
    // no anchors or folded lines: every value where it applies; YAML 1.1 quoting, so that
    // docker-compose 1.x (PyYAML) reads `"yes"`, `"on"`, `"0755"` as the strings they are
    const yaml = () => stringify(doc, { version: '1.1', aliasDuplicateObjects: false, lineWidth: 0 });
    io().stdout.write(format === 'json' ? `${JSON.stringify(doc, null, 2)}\n` : yaml());
  }
  return 0;
}
