/**
 * The synth cache: per app module, its laid-out output in every environment, kept
 * with the inputs it was rendered from (see deps.ts). A module whose inputs are all
 * unchanged is not even required on the next synth: loading and building apps is
 * where synth spends its time.
 *
 * The cache can only make synth faster, never different: any entry that is missing,
 * unreadable, corrupt (every file carries the sha256 of its body), from another
 * synthops, or made for other inputs is a miss, and the module is rendered. Nothing
 * here throws to the caller.
 */
import { createHash, randomBytes } from 'crypto';
import * as fs from 'fs';
import * as path from 'path';
import { AppOutput } from './app-output';
import { DepRecord } from './deps';
import { sha256 } from '../model/hash';

/** Bumped whenever what the cache stores, or what synth writes, changes meaning. */
const CACHE_FORMAT = 2;

/** Where the cache lives by default: git-ignored with node_modules, next to the packages it depends on. */
export function defaultCacheDir(root: string): string {
  return path.join(root, 'node_modules', '.cache', 'synthops', 'synth');
}

/** What a cached app module declared, enough to plan and check apps without loading it. */
export interface AppSummary {
  readonly name: string;
  /** Environments the app is rendered for. @default - every environment */
  readonly environments?: readonly string[];
  /** Apps that must be healthy before this one is applied. @default - none */
  readonly dependsOn?: readonly string[];
}

/** The cached output of one app module. */
export interface CachedModule {
  /** Source file, relative to the config repo root. */
  readonly source: string;
  /** What the output depends on, with the values it was rendered from. */
  readonly deps: DepRecord;
  /** The module's apps, in export order. */
  readonly apps: readonly AppSummary[];
  /** Every app of the module in every environment it renders for. */
  readonly outputs: readonly AppOutput[];
}

interface StoredModule extends CachedModule {
  readonly format: number;
  readonly key: string;
}

function readVersion(pkgJson: string): string {
  try {
    return String((JSON.parse(fs.readFileSync(pkgJson, 'utf8')) as { version?: unknown }).version);
  } catch {
    return '-';
  }
}

function resolveVersion(pkg: string): string {
  try {
    return readVersion(require.resolve(`${pkg}/package.json`));
  } catch {
    return '-';
  }
}

let ownFingerprintMemo: string | undefined;

/**
 * This synthops: its version and the content of its code (a checkout changes without
 * a version bump), plus the tools whose behaviour shapes the output bytes.
 */
function ownFingerprint(): string {
  if (ownFingerprintMemo) return ownFingerprintMemo;
  const codeRoot = path.resolve(__dirname, '..');
  const hash = createHash('sha256');
  const walk = (dir: string): void => {
    for (const e of fs.readdirSync(dir, { withFileTypes: true }).sort((a, b) => (a.name < b.name ? -1 : 1))) {
      const p = path.join(dir, e.name);
      if (e.isDirectory()) walk(p);
      else if (/\.(js|ts)$/.test(e.name) && !e.name.endsWith('.d.ts'))
        hash.update(`${path.relative(codeRoot, p)}\0`).update(fs.readFileSync(p));
    }
  };
  walk(codeRoot);
  const versions = ['yaml', 'typescript', 'ts-node'].map((p) => `${p}@${resolveVersion(p)}`);
  ownFingerprintMemo = JSON.stringify({
    synthops: readVersion(path.join(codeRoot, '..', 'package.json')),
    code: hash.digest('hex'),
    versions,
  });
  return ownFingerprintMemo;
}

/** What every entry of one synth depends on, besides each module's own inputs. */
export interface CacheKeyInputs {
  readonly root: string;
  readonly envNames: readonly string[];
  readonly typecheck: boolean;
  /** The environments module, the image pins and the project files, with their values. */
  readonly shared: DepRecord;
}

/** The key every entry of a synth must carry to be reused. */
export function cacheKey(inputs: CacheKeyInputs): string {
  return sha256(JSON.stringify({ format: CACHE_FORMAT, own: ownFingerprint(), ...inputs }));
}

const isString = (x: unknown): x is string => typeof x === 'string';
const isStringArray = (x: unknown): x is string[] => Array.isArray(x) && x.every(isString);
const isObject = (x: unknown): x is Record<string, unknown> => typeof x === 'object' && x !== null && !Array.isArray(x);

function isAppOutput(x: unknown): x is AppOutput {
  if (
    !isObject(x) ||
    !isString(x.env) ||
    !isString(x.app) ||
    !isString(x.source) ||
    !isString(x.namespace) ||
    !isStringArray(x.dependsOn)
  )
    return false;
  if (x.serviceAccount !== undefined && !isString(x.serviceAccount)) return false;
  if (!Array.isArray(x.objects) || !Array.isArray(x.files)) return false; // only complete outputs are stored
  const objects = x.objects as unknown[];
  if (!objects.every((o) => isObject(o) && isObject(o.manifest) && typeof o.clusterScoped === 'boolean')) return false;
  return (x.files as unknown[]).every(
    (f) =>
      isObject(f) &&
      isString(f.path) &&
      isString(f.content) &&
      isString(f.sha256) &&
      typeof f.object === 'number' &&
      f.object >= 0 &&
      f.object < objects.length,
  );
}

function isStoredModule(x: unknown): x is StoredModule {
  if (!isObject(x) || x.format !== CACHE_FORMAT || !isString(x.key) || !isString(x.source)) return false;
  if (!isObject(x.deps) || !Object.values(x.deps).every(isString)) return false;
  if (
    !Array.isArray(x.apps) ||
    !x.apps.every(
      (a) =>
        isObject(a) &&
        isString(a.name) &&
        (a.environments === undefined || isStringArray(a.environments)) &&
        (a.dependsOn === undefined || isStringArray(a.dependsOn)),
    )
  )
    return false;
  return Array.isArray(x.outputs) && x.outputs.every(isAppOutput);
}

/** Reads a file written by {@link writeChecked}; undefined when missing or not intact. */
function readChecked(file: string): unknown {
  const text = fs.readFileSync(file, 'utf8');
  const nl = text.indexOf('\n');
  if (nl !== 64) throw new Error('no checksum line');
  const body = text.slice(nl + 1);
  if (sha256(body) !== text.slice(0, nl)) throw new Error('checksum mismatch');
  return JSON.parse(body);
}

/** Writes `value` as JSON behind its sha256, through a temporary file and a rename. */
function writeChecked(file: string, value: unknown): void {
  const body = JSON.stringify(value);
  const tmp = `${file}.${process.pid}.${randomBytes(4).toString('hex')}.tmp`;
  try {
    fs.writeFileSync(tmp, `${sha256(body)}\n${body}`);
    fs.renameSync(tmp, file);
  } catch (e) {
    fs.rmSync(tmp, { force: true });
    throw e;
  }
}

function errorText(e: unknown): string {
  return e instanceof Error ? e.message : String(e);
}

/** Recorded state of a file synth wrote, to reuse it by hard link while it is untouched. */
export interface WrittenFileState {
  readonly sha256: string;
  readonly ino: number;
  readonly size: number;
  readonly mtimeMs: number;
}

/** What synth last wrote to an output folder. */
export interface DistState {
  readonly outDir: string;
  readonly files: Readonly<Record<string, WrittenFileState>>;
}

function isDistState(x: unknown, outDir: string): x is DistState {
  if (!isObject(x) || x.outDir !== outDir || !isObject(x.files)) return false;
  return Object.values(x.files).every(
    (f) =>
      isObject(f) &&
      isString(f.sha256) &&
      typeof f.ino === 'number' &&
      typeof f.size === 'number' &&
      typeof f.mtimeMs === 'number',
  );
}

/** Receives debug messages; the cache reports misses and trouble here, never by throwing. */
export type DebugLog = (message: string) => void;

/** The synth cache of one config repo, for one synth (one key). */
export class SynthCache {
  private readonly modulesDir: string;

  /**
   * @param dir cache folder
   * @param key from {@link cacheKey}: entries made with another key are misses
   */
  constructor(
    private readonly dir: string,
    private readonly key: string,
    private readonly debug: DebugLog = () => undefined,
  ) {
    this.modulesDir = path.join(dir, 'modules');
  }

  private entryFile(source: string): string {
    return path.join(this.modulesDir, `${sha256(source).slice(0, 40)}.json`);
  }

  /**
   * The cached output of `source`, if it was made with this key, is intact, covers
   * every environment of `envNames` its apps render for, and every input it depends
   * on still has the recorded value.
   */
  public lookup(
    source: string,
    envNames: readonly string[],
    depsMatch: (deps: DepRecord) => boolean,
  ): CachedModule | undefined {
    let stored: unknown;
    try {
      stored = readChecked(this.entryFile(source));
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'ENOENT')
        this.debug(`cache: ${source}: unreadable entry (${errorText(e)}); rendering`);
      return undefined;
    }
    if (!isStoredModule(stored) || stored.source !== source) {
      this.debug(`cache: ${source}: entry of another format; rendering`);
      return undefined;
    }
    if (stored.key !== this.key) {
      this.debug(
        `cache: ${source}: made for other shared inputs (synthops, environments, image pins, options); rendering`,
      );
      return undefined;
    }
    const have = new Set(stored.outputs.map((o) => `${o.env}/${o.app}`));
    for (const env of envNames) {
      for (const a of stored.apps) {
        if ((!a.environments || a.environments.includes(env)) && !have.has(`${env}/${a.name}`)) {
          this.debug(`cache: ${source}: no output of ${a.name} in ${env}; rendering`);
          return undefined;
        }
      }
    }
    if (!depsMatch(stored.deps)) {
      this.debug(`cache: ${source}: an input changed; rendering`);
      return undefined;
    }
    return stored;
  }

  /** Stores the output of a module (best effort). */
  public store(entry: CachedModule): void {
    const stored: StoredModule = { format: CACHE_FORMAT, key: this.key, ...entry };
    try {
      fs.mkdirSync(this.modulesDir, { recursive: true });
      writeChecked(this.entryFile(entry.source), stored);
    } catch (e) {
      this.debug(`cache: ${entry.source}: not stored (${errorText(e)})`);
    }
  }

  /** Drops the entry of a module whose output cannot be cached. */
  public forget(source: string, why: string): void {
    this.debug(`cache: ${source}: not cached: it ${why}`);
    try {
      fs.rmSync(this.entryFile(source), { force: true });
    } catch (e) {
      this.debug(`cache: ${source}: stale entry not removed (${errorText(e)})`);
    }
  }

  /** Removes entries of modules that no longer exist (and leftovers of interrupted writes). */
  public prune(sources: readonly string[]): void {
    const keep = new Set(sources.map((s) => path.basename(this.entryFile(s))));
    try {
      for (const name of fs.readdirSync(this.modulesDir)) {
        if (!keep.has(name)) fs.rmSync(path.join(this.modulesDir, name), { force: true });
      }
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'ENOENT') this.debug(`cache: not pruned (${errorText(e)})`);
    }
  }

  private distStateFile(outDir: string): string {
    return path.join(this.dir, `out-${sha256(outDir).slice(0, 24)}.json`);
  }

  /** What synth last wrote to `outDir`, if known. */
  public readDistState(outDir: string): DistState | undefined {
    try {
      const state = readChecked(this.distStateFile(outDir));
      return isDistState(state, outDir) ? state : undefined;
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'ENOENT')
        this.debug(`cache: output state unreadable (${errorText(e)}); writing every file`);
      return undefined;
    }
  }

  /** Records what synth wrote to an output folder (best effort). */
  public writeDistState(state: DistState): void {
    try {
      fs.mkdirSync(this.dir, { recursive: true });
      writeChecked(this.distStateFile(state.outDir), state);
    } catch (e) {
      this.debug(`cache: output state not stored (${errorText(e)})`);
    }
  }
}
