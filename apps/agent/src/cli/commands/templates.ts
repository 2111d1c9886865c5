import { readFile } from 'node:fs/promises';
import { resolve } from 'node:path';
import { groupHelpFor } from '../help.js';
import { io } from '../io.js';
import { parseFlags } from '../args.js';
import type { SkiffClient } from '../client.js';
import { CliError } from '../errors.js';
import { table, truncate } from '../format.js';

type ComposeEvent = { kind: string; name: string; status: string; detail?: string };

const catalogueFlag = { type: 'string', short: 'c', help: 'Template catalogue (default "builtin")' } as const;

/** `K=V` flags → values; the agent coerces them to each parameter's type */
function parseSets(sets: string[]): Record<string, string> {
  const out: Record<string, string> = {};
  for (const s of sets) {
    const eq = s.indexOf('=');
    if (eq <= 0) throw new CliError(`invalid --set "${s}": expected KEY=VALUE`);
    out[s.slice(0, eq)] = s.slice(eq + 1);
  }
  return out;
}

/** `skiff template ls|show|deploy|secrets|catalogues|add-catalogue|rm-catalogue` */
export async function templateCommand(client: SkiffClient, argv: string[]): Promise<number> {
  const [sub, ...rest] = argv;
  const help = groupHelpFor('template', sub);
  if (help) throw help;
  const out = io().stdout;
  switch (sub) {
    case 'ls':
    case 'list': {
      const { flags } = parseFlags(
        rest,
        {
          catalogue: catalogueFlag,
          search: { type: 'string', help: 'Only templates whose id, name, description or category contain this' },
          quiet: { type: 'boolean', short: 'q' },
        },
        { command: 'template ls' },
      );
      const list = await client.templates.list.query({ catalogue: flags.catalogue, search: flags.search });
      if (flags.quiet) out.write(list.map((t) => `${t.id}\n`).join(''));
      else
        out.write(
          table(
            ['ID', 'NAME', 'CATALOGUE', 'CATEGORIES', 'DESCRIPTION'],
            list.map((t) => [t.id, t.name, t.catalogue, t.categories.join(','), truncate(t.description, 60)]),
          ),
        );
      return 0;
    }
    case 'show': {
      const { flags, args } = parseFlags(rest, { catalogue: catalogueFlag }, { command: 'template show' });
      if (args.length !== 1) throw new CliError('"skiff template show" requires exactly 1 argument.\nUsage: skiff template show [OPTIONS] TEMPLATE');
      const t = await client.templates.get.query({ catalogue: flags.catalogue, id: args[0]! });
      out.write(`${t.name} (${t.catalogue}/${t.id})\n`);
      if (t.description) out.write(`${t.description}\n`);
      if (t.note) out.write(`\n${t.note}\n`);
      out.write('\nParameters:\n');
      out.write(
        table(
          ['NAME', 'TYPE', 'DEFAULT', 'REQUIRED', 'LABEL'],
          t.parameters.map((p) => [
            p.name,
            p.type === 'select' ? `select(${(p.options ?? []).map((o) => (typeof o === 'string' ? o : o.value)).join('|')})` : p.type,
            p.generate ? `(generated, ${p.generate.length} chars)` : p.default === undefined ? '' : String(p.default),
            p.required ? 'yes' : '',
            p.label ?? '',
          ]),
        ),
      );
      out.write(`\nCompose:\n${t.compose.endsWith('\n') ? t.compose : `${t.compose}\n`}`);
      return 0;
    }
    case 'deploy': {
      const { flags, args } = parseFlags(
        rest,
        {
          catalogue: catalogueFlag,
          name: { type: 'string', help: 'Name of the stack to create' },
          set: { type: 'string', multiple: true, value: 'list', help: 'Set a parameter (KEY=VALUE)' },
          update: { type: 'boolean', help: 'Re-render an existing stack of this template (its last values and secrets are kept)' },
          pull: { type: 'boolean', help: 'Pull the images before starting' },
        },
        { command: 'template deploy' },
      );
      if (args.length !== 1) throw new CliError('"skiff template deploy" requires exactly 1 argument.\nUsage: skiff template deploy [OPTIONS] TEMPLATE');
      if (!flags.name) throw new CliError('"skiff template deploy" needs --name STACK');
      const input = { catalogue: flags.catalogue, id: args[0]!, name: flags.name, values: parseSets(flags.set ?? []), update: flags.update, pull: flags.pull };
      await new Promise<void>((done, fail) => {
        const sub = client.templates.deploy.subscribe(input, {
          onData(d) {
            const item = d as { stack?: { name: string; secrets: string[]; generated: string[]; updated: boolean }; event?: ComposeEvent; done?: boolean };
            if (item.stack) {
              out.write(`${item.stack.updated ? 'Updated' : 'Created'} stack ${item.stack.name}\n`);
              if (item.stack.generated.length)
                out.write(`Generated secrets (sealed): ${item.stack.generated.join(', ')}; see 'skiff template secrets ${item.stack.name}'\n`);
            }
            if (item.event) out.write(` ${item.event.status === 'Error' ? '✘' : '✔'} ${item.event.kind} ${item.event.name}  ${item.event.status}\n`);
            if (item.done) {
              sub.unsubscribe();
              done();
            }
          },
          onError: fail,
        });
      });
      return 0;
    }
    case 'secrets': {
      const { args } = parseFlags(rest, {}, { command: 'template secrets' });
      if (args.length !== 1) throw new CliError('"skiff template secrets" requires exactly 1 argument.\nUsage: skiff template secrets STACK');
      const secrets = await client.templates.revealSecrets.query({ name: args[0]! });
      out.write(secrets.map((s) => `${s.key}=${s.value}\n`).join(''));
      return 0;
    }
    case 'catalogues': {
      const { flags } = parseFlags(rest, { quiet: { type: 'boolean', short: 'q', help: 'Only display names' } }, { command: 'template catalogues' });
      const list = await client.templates.catalogues.query();
      if (flags.quiet) {
        out.write(list.map((c) => `${c.id}\n`).join(''));
        return 0;
      }
      out.write(
        table(
          ['NAME', 'TITLE', 'TEMPLATES', 'SOURCE'],
          list.map((c) => [c.id, c.title, c.error ? `error: ${truncate(c.error, 50)}` : String(c.templates), c.builtin ? 'built in' : (c.url ?? 'upload')]),
        ),
      );
      return 0;
    }
    case 'add-catalogue': {
      const { flags, args } = parseFlags(
        rest,
        {
          url: { type: 'string', help: 'Fetch the catalogue from this https URL (by the agent)' },
          file: { type: 'string', help: 'Read the catalogue from this file (- for stdin)' },
          replace: { type: 'boolean', help: 'Replace a catalogue of the same name' },
        },
        { command: 'template add-catalogue' },
      );
      if (args.length !== 1)
        throw new CliError('"skiff template add-catalogue" requires exactly 1 argument.\nUsage: skiff template add-catalogue [OPTIONS] NAME');
      if (!flags.url === !flags.file) throw new CliError('"skiff template add-catalogue" needs either --url URL or --file FILE');
      const content = flags.file ? await readCatalogueFile(flags.file) : undefined;
      const r = await client.templates.addCatalogue.mutate({ name: args[0]!, url: flags.url, content, replace: flags.replace });
      for (const w of r.warnings) io().stderr.write(`WARN ${w}\n`);
      out.write(`Added catalogue ${r.name} (${r.templates} templates)\n`);
      return 0;
    }
    case 'rm-catalogue': {
      const { args } = parseFlags(rest, {}, { command: 'template rm-catalogue' });
      if (args.length !== 1) throw new CliError('"skiff template rm-catalogue" requires exactly 1 argument.\nUsage: skiff template rm-catalogue NAME');
      await client.templates.removeCatalogue.mutate({ name: args[0]! });
      out.write(`${args[0]}\n`);
      return 0;
    }
    default:
      throw new CliError(`unknown command "template ${sub}"\nSee 'skiff template --help'.`);
  }
}

async function readCatalogueFile(file: string): Promise<string> {
  if (file !== '-') return readFile(resolve(io().cwd, file), 'utf8');
  const chunks: Buffer[] = [];
  for await (const c of io().stdin) chunks.push(Buffer.from(c as Buffer));
  return Buffer.concat(chunks).toString('utf8');
}
