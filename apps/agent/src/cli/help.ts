// `skiff COMMAND --help`, made from the flag definitions the command's parser uses.
import type { FlagDefs } from './flag-defs.js';
import { CliError } from './errors.js';
import { COMMANDS, FLAG_HELP, VALUE_NAMES } from './help-text.js';

/** `--help` was asked for: the CLI prints the text on stdout and exits 0 */
export class HelpRequested extends CliError {
  constructor(readonly text: string) {
    super(text, 0);
  }
}

/** docker's layout: usage, description, then the flags sorted by name, help aligned in a column */
export function commandHelp(command: string, defs: FlagDefs): string {
  const [usage, description] = COMMANDS[command] ?? [Object.keys(defs).length ? '[OPTIONS]' : '', ''];
  const rows = Object.entries(defs)
    .sort(([a], [b]) => a.localeCompare(b))
    .map(([name, def]) => {
      const value = def.type === 'string' ? ` ${def.value ?? VALUE_NAMES[name] ?? (def.multiple ? 'list' : 'string')}` : '';
      return [`${def.short ? `-${def.short}, ` : '    '}--${name}${value}`, def.help ?? FLAG_HELP[name] ?? ''] as const;
    });
  const subs = Object.entries(COMMANDS).filter(([name]) => name.startsWith(`${command} `) && !name.slice(command.length + 1).includes(' '));
  const subWidth = Math.max(0, ...subs.map(([name]) => name.length - command.length - 1)) + 3;
  const commands = subs.map(([name, [, text]]) => `  ${name.slice(command.length + 1).padEnd(subWidth)}${text}`);
  const width = Math.max(0, ...rows.map(([left]) => left.length)) + 3;
  const options = rows.map(([left, help]) => `  ${left.padEnd(width)}${help.split('\n').join(`\n  ${' '.repeat(width)}`)}`.trimEnd());
  return [
    '',
    `Usage:  skiff ${command}${usage ? ` ${usage}` : ''}`,
    '',
    ...(description ? [description, ''] : []),
    ...(options.length ? ['Options:', ...options, ''] : []),
    ...(commands.length ? ['Commands:', ...commands, '', `Run 'skiff ${command} COMMAND --help' for more information on a command.`, ''] : []),
  ].join('\n');
}

/** a command group's help (`skiff network`, `skiff network --help`), or undefined for a subcommand */
export function groupHelpFor(group: string, sub: string | undefined): HelpRequested | undefined {
  if (sub === undefined || sub === '--help' || sub === '-h' || sub === 'help') return new HelpRequested(commandHelp(group, {}));
  return undefined;
}
