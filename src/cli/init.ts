import { scaffold } from '../init/scaffold';
import { Output } from './output';

/** Flags of `synthops init`. */
export interface InitCommandOptions {
  /** `--name`: package name of the config repo. @default - the folder name */
  readonly name?: string;
  readonly synthopsVersion: string;
}

/** `synthops init [dir]`: scaffold a config repo. Returns the exit code. */
export function runInit(dir: string, opts: InitCommandOptions, io: Output): number {
  const files = scaffold(dir, { name: opts.name, synthopsVersion: opts.synthopsVersion });
  for (const f of files) io.out(`created ${f}`);
  io.out(`next: cd ${dir} && npm install && npx synthops synth`);
  return 0;
}
