import * as path from 'path';
import { scaffold } from '../init/scaffold';
import { SynthopsSource, detectSource, sourceFrom } from '../init/synthops-source';
import { packInto, vendorSpec, writeLockfile } from '../init/vendor';
import { Output } from './output';

/** Flags of `synthops init`. */
export interface InitCommandOptions {
  /** `--name`: package name of the config repo. @default - the folder name */
  readonly name?: string;
  /** `--synthops-version`: a registry version range. @default - detected: see `from` */
  readonly synthopsVersion?: string;
  /** `--from`: pack synthops from this folder into vendor/. @default - this synthops: its registry version if installed from one, else packed */
  readonly from?: string;
  /** `--no-lockfile` sets it false: package-lock.json is not written. @default true */
  readonly lockfile?: boolean;
}

// This synthops package (lib/cli/ or src/cli/ -> the package root).
const OWN_ROOT = path.join(__dirname, '..', '..');

function sourceOf(opts: InitCommandOptions): SynthopsSource {
  if (opts.synthopsVersion) return { kind: 'registry', range: opts.synthopsVersion };
  if (opts.from) return sourceFrom(opts.from);
  return detectSource(OWN_ROOT);
}

/**
 * `synthops init [dir]`: scaffold a config repo whose CI can `npm ci` on a fresh
 * clone: synthops from a registry, or packed into vendor/, and a package-lock.json.
 * Returns the exit code.
 */
export function runInit(dir: string, opts: InitCommandOptions, io: Output): number {
  const source = sourceOf(opts);
  const spec = source.kind === 'registry' ? source.range : vendorSpec(source.version);
  const files = scaffold(dir, { name: opts.name, synthopsVersion: spec });
  if (source.kind === 'pack') {
    io.err(`packing synthops ${source.version} from ${source.dir}${source.build ? ' (builds it first)' : ''}`);
    files.push(packInto(source, dir));
  }
  if (opts.lockfile !== false) {
    io.err('writing package-lock.json (npm install --package-lock-only)');
    writeLockfile(dir);
    files.push('package-lock.json');
  }
  for (const f of files.sort()) io.out(`created ${f}`);
  const install = opts.lockfile !== false ? 'npm ci' : 'npm install';
  io.out(`next: cd ${dir} && ${install} && npx synthops synth`);
  io.out('then: git init -b main && git add -A && git commit -m "config repo"  (commit package-lock.json and vendor/)');
  return 0;
}
