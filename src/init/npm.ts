import { spawnSync } from 'child_process';
import { SynthopsError } from '../model/errors';

/** An npm command that `synthops init` runs failed. */
export class NpmError extends SynthopsError {
  /** The npm arguments, e.g. `pack`. */
  public readonly args: readonly string[];
  /** npm's exit code. @default - none: npm could not be started */
  public readonly status?: number;

  constructor(args: readonly string[], status: number | undefined, detail: string) {
    super(`npm ${args.join(' ')} failed${status === undefined ? '' : ` (exit ${status})`}: ${detail}`);
    this.args = args;
    this.status = status;
  }
}

/** Runs npm in `cwd` and returns its stdout; npm's own output on failure goes into the {@link NpmError}. */
export function runNpm(args: readonly string[], cwd: string): string {
  // npm is a script on Windows; elsewhere the binary. No shell: the args are passed as they are.
  const npm = process.platform === 'win32' ? 'npm.cmd' : 'npm';
  const r = spawnSync(npm, [...args], {
    cwd,
    encoding: 'utf8',
    env: { ...process.env, npm_config_audit: 'false', npm_config_fund: 'false', npm_config_update_notifier: 'false' },
    maxBuffer: 64 * 1024 * 1024,
  });
  if (r.error) throw new NpmError(args, undefined, r.error.message);
  if (r.status !== 0) {
    const tail = `${r.stderr ?? ''}${r.stdout ?? ''}`.trim().split('\n').slice(-8).join('\n');
    throw new NpmError(args, r.status ?? undefined, tail || 'no output');
  }
  return r.stdout;
}
