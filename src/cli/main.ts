import { Command, CommanderError } from 'commander';
import { SynthopsError } from '../errors';
import { runInit } from './init';
import { Output, processOutput } from './output';
import { runSynth } from './synth';

// eslint-disable-next-line @typescript-eslint/no-require-imports
const { version } = require('../../package.json') as { version: string };

function collect(value: string, previous: string[] = []): string[] {
  return [...previous, ...value.split(',').map((v) => v.trim()).filter(Boolean)];
}

/** Builds the `synthops` command line. Each action stores its exit code in `result.code`. */
export function buildProgram(io: Output, result: { code: number }): Command {
  const program = new Command('synthops')
    .description('GitOps for typed cdk8s apps: synth, publish, and reconcile with a pull agent')
    .version(version)
    .exitOverride()
    .configureOutput({ writeOut: (s) => io.out(s.trimEnd()), writeErr: (s) => io.err(s.trimEnd()) });

  program.command('synth')
    .description('render the apps to dist/<env>/<app>/ plus dist/index.json; nothing is written unless every check passes')
    .option('-e, --env <names>', 'render only these environments (repeatable, or comma separated)', collect)
    .option('-o, --out <dir>', 'output folder', 'dist')
    .option('-C, --root <dir>', 'config repo root', process.cwd())
    .option('--typecheck', 'type-check the apps while loading them (slower)', false)
    .action((opts) => { result.code = runSynth(opts, io); });

  program.command('init')
    .description('scaffold a new config repo that synths out of the box')
    .argument('[dir]', 'folder to create (must be empty or missing)', '.')
    .option('--name <name>', 'package name of the config repo (default: the folder name)')
    .option('--synthops-version <range>', 'synthops version range for package.json', `^${version}`)
    .action((dir, opts) => { result.code = runInit(dir, opts, io); });

  return program;
}

/** Runs the CLI; resolves to the process exit code (0 ok, 1 job failed, 2 bad usage). */
export async function main(argv: string[], io: Output = processOutput): Promise<number> {
  const result = { code: 0 };
  const program = buildProgram(io, result);
  try {
    await program.parseAsync(argv);
    return result.code;
  } catch (e) {
    if (e instanceof CommanderError) return e.exitCode === 0 ? 0 : 2;
    if (e instanceof SynthopsError) {
      io.err(`error: ${e.message}`);
      return e.exitCode;
    }
    io.err(`error: ${e instanceof Error ? e.stack ?? e.message : String(e)}`);
    return 1;
  }
}
