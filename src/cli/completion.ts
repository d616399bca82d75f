import * as fs from 'fs';
import * as path from 'path';
import { Command } from 'commander';
import { UsageError } from '../model/errors';
import { Output } from './output';

// Shell completion generated from commander's command tree, so it never lags behind
// the commands: every command, subcommand and flag, and the values of flags and
// arguments that have a fixed set (`-o`, `completion <shell>`).

/** One flag of a command. */
export interface FlagSpec {
  /** `--name`, or undefined for a short-only flag. @default - none */
  readonly long?: string;
  /** `-x`, if it has one. @default - none */
  readonly short?: string;
  readonly description: string;
  /** Takes a value (`--out <dir>`). */
  readonly takesValue: boolean;
  /** The values it allows, when they are a fixed set. @default - any value */
  readonly choices?: readonly string[];
}

/** A command with its flags and subcommands. */
export interface CommandSpec {
  /** Words from the program name to this command: `['synthops', 'inventory', 'list']`. */
  readonly path: readonly string[];
  readonly description: string;
  readonly flags: readonly FlagSpec[];
  readonly commands: readonly CommandSpec[];
  /** Allowed values of its first argument, when they are a fixed set. @default - any value */
  readonly argChoices?: readonly string[];
}

/** The command tree of a commander program (hidden flags left out; `--help` everywhere). */
export function commandSpec(cmd: Command, parent: readonly string[] = []): CommandSpec {
  const path = [...parent, cmd.name()];
  const flags: FlagSpec[] = cmd.options
    .filter((o) => !o.hidden)
    .map((o) => ({
      long: o.long,
      short: o.short,
      description: o.description,
      takesValue: o.required || o.optional,
      choices: o.argChoices,
    }));
  flags.push({ long: '--help', short: '-h', description: 'display help', takesValue: false });
  return {
    path,
    description: cmd.description(),
    flags,
    commands: cmd.commands.map((c) => commandSpec(c, path)),
    argChoices: cmd.registeredArguments[0]?.argChoices,
  };
}

function all(spec: CommandSpec): CommandSpec[] {
  return [spec, ...spec.commands.flatMap(all)];
}

function flagWords(f: FlagSpec): string[] {
  return [f.long, f.short].filter((x): x is string => Boolean(x));
}

/** A shell case label matching the command path. */
function label(spec: CommandSpec): string {
  return `"${spec.path.join(' ')}"`;
}

/**
 * Lookup functions shared by the bash and zsh scripts (both run them): per command
 * path, its subcommands, flags, flags that take a value, and fixed values.
 */
function lookups(root: CommandSpec, fn: string): string[] {
  const cmds = all(root);
  const caseOf = (name: string, arms: Array<[string, string]>) => [
    `${fn}_${name}() {`,
    '  case "$1" in',
    ...arms.filter(([, v]) => v).map(([k, v]) => `    ${k}) echo '${v}' ;;`),
    '  esac',
    '}',
  ];
  const choiceArms: Array<[string, string]> = [];
  for (const c of cmds) {
    for (const f of c.flags.filter((x) => x.choices))
      choiceArms.push([
        flagWords(f)
          .map((w) => `"${c.path.join(' ')} ${w}"`)
          .join('|'),
        f.choices!.join(' '),
      ]);
  }
  return [
    ...caseOf(
      'commands',
      cmds.map((c) => [label(c), c.commands.map((s) => s.path[s.path.length - 1]).join(' ')]),
    ),
    ...caseOf(
      'flags',
      cmds.map((c) => [label(c), c.flags.flatMap(flagWords).join(' ')]),
    ),
    ...caseOf(
      'value_flags',
      cmds.map((c) => [
        label(c),
        c.flags
          .filter((f) => f.takesValue)
          .flatMap(flagWords)
          .join(' '),
      ]),
    ),
    ...caseOf(
      'arg_choices',
      cmds.map((c) => [label(c), (c.argChoices ?? []).join(' ')]),
    ),
    ...caseOf('flag_choices', choiceArms),
  ];
}

const TEMPLATE_DIR = path.join(__dirname, '..', '..', 'templates', 'completion');

/** A script template of templates/completion/ with its `{{key}}` placeholders filled in. */
function fill(template: string, values: Record<string, string>): string {
  return fs
    .readFileSync(path.join(TEMPLATE_DIR, template), 'utf8')
    .replace(/\{\{(\w+)\}\}/g, (_, k: string) => values[k] ?? '');
}

function functionName(root: CommandSpec): string {
  return `_${root.path[0].replace(/[^A-Za-z0-9_]/g, '_')}`;
}

/** The bash completion script: `source <(synthops completion bash)`. */
export function bashCompletion(root: CommandSpec): string {
  const fn = functionName(root);
  return fill('bash.sh', { name: root.path[0], fn, lookups: lookups(root, fn).join('\n') });
}

function zshQuote(s: string): string {
  return `'${s.replace(/'/g, `'\\''`)}'`;
}

/** The zsh completion script: `source <(synthops completion zsh)` after compinit, or saved as `_synthops` in `$fpath`. */
export function zshCompletion(root: CommandSpec): string {
  const fn = functionName(root);
  // Subcommands with their descriptions, for zsh's menu (`:` separates name and description).
  const described = all(root)
    .filter((c) => c.commands.length > 0)
    .map((c) => {
      const entries = c.commands.map((s) =>
        zshQuote(`${s.path[s.path.length - 1]}:${s.description.replace(/:/g, '\\:')}`),
      );
      return `    ${label(c)}) described=(${entries.join(' ')}) ;;`;
    });
  return fill('zsh.sh', {
    name: root.path[0],
    fn,
    lookups: lookups(root, fn).join('\n'),
    described: described.join('\n'),
  });
}

function fishQuote(s: string): string {
  return `'${s.replace(/\\/g, '\\\\').replace(/'/g, "\\'")}'`;
}

/** The fish completion script: `synthops completion fish | source`, or saved in ~/.config/fish/completions/. */
export function fishCompletion(root: CommandSpec): string {
  const name = root.path[0];
  const lines = [
    `# ${name} completion for fish. Load it with: ${name} completion fish | source`,
    `# (or save it as ~/.config/fish/completions/${name}.fish). Generated from the command tree.`,
    `complete -c ${name} -f`,
  ];
  // The condition that the command line is at `spec` (its words seen, none of its subcommands yet).
  const at = (spec: CommandSpec): string => {
    const words = spec.path.slice(1);
    const subs = spec.commands.map((s) => s.path[s.path.length - 1]);
    const seen = words.map((w) => `__fish_seen_subcommand_from ${w}`);
    const notYet = subs.length > 0 ? [`not __fish_seen_subcommand_from ${subs.join(' ')}`] : [];
    if (words.length === 0) return subs.length > 0 ? '__fish_use_subcommand' : 'true';
    return [...seen, ...notYet].join('; and ');
  };
  for (const c of all(root)) {
    const cond = fishQuote(at(c));
    for (const s of c.commands)
      lines.push(
        `complete -c ${name} -n ${cond} -a ${fishQuote(s.path[s.path.length - 1])} -d ${fishQuote(s.description)}`,
      );
    if (c.argChoices) lines.push(`complete -c ${name} -n ${cond} -a ${fishQuote(c.argChoices.join(' '))}`);
    for (const f of c.flags) {
      const parts = [`complete -c ${name} -n ${cond}`];
      if (f.short) parts.push(`-s ${f.short.replace(/^-/, '')}`);
      if (f.long) parts.push(`-l ${f.long.replace(/^--/, '')}`);
      if (f.choices) parts.push(`-x -a ${fishQuote(f.choices.join(' '))}`);
      else if (f.takesValue) parts.push('-r -F');
      parts.push(`-d ${fishQuote(f.description)}`);
      lines.push(parts.join(' '));
    }
  }
  return `${lines.join('\n')}\n`;
}

/** `synthops completion bash|zsh|fish`: prints the script. */
export function runCompletion(shell: string, program: Command, io: Output): number {
  const spec = commandSpec(program);
  const make = { bash: bashCompletion, zsh: zshCompletion, fish: fishCompletion }[shell];
  if (!make) throw new UsageError(`completion: "${shell}" is not bash, zsh or fish`);
  io.out(make(spec).trimEnd());
  return 0;
}
