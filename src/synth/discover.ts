import * as fs from 'fs';
import * as path from 'path';
import { AppDefinition, isAppDefinition } from '../author/define-app';
import { Environments, isEnvironments } from '../author/environments';
import { ConfigError, UsageError } from '../model/errors';

/** Where a config repo keeps its apps, relative to its root. */
export const APPS_DIR = 'apps';
/** The module that declares the environments, relative to the apps folder (without extension). */
export const ENVIRONMENTS_MODULE = 'environments';

/** An app definition and the module it came from. */
export interface DiscoveredApp {
  readonly definition: AppDefinition;
  /** Source file relative to the config repo root, with "/" separators. */
  readonly source: string;
}

/** A module in `apps/` that failed to load, or exported something that is not an app. */
export interface ModuleProblem {
  readonly source: string;
  readonly message: string;
}

/** What a config repo declares. */
export interface ConfigRepo {
  readonly root: string;
  readonly environments: Environments;
  readonly apps: readonly DiscoveredApp[];
  readonly problems: readonly ModuleProblem[];
}

const SOURCE_EXT = ['.ts', '.js'];

function isSourceFile(name: string): boolean {
  return SOURCE_EXT.includes(path.extname(name)) && !name.endsWith('.d.ts') && !/\.test\.[tj]s$/.test(name);
}

/**
 * Lists the app modules of a config repo, in a stable order: `apps/<name>.ts` and
 * `apps/<name>/index.ts`; the environments module is not an app.
 */
export function listAppModules(appsDir: string): string[] {
  const found: string[] = [];
  for (const entry of fs.readdirSync(appsDir, { withFileTypes: true })) {
    if (entry.isFile() && isSourceFile(entry.name)) {
      if (path.basename(entry.name, path.extname(entry.name)) === ENVIRONMENTS_MODULE) continue;
      found.push(path.join(appsDir, entry.name));
    } else if (entry.isDirectory()) {
      const index = SOURCE_EXT.map((ext) => path.join(appsDir, entry.name, `index${ext}`)).find((f) =>
        fs.existsSync(f),
      );
      if (index) found.push(index);
    }
  }
  return found.sort();
}

/**
 * This module: Node lists every app module it requires among its children. Dependency
 * tracking must not follow those edges, or every app would depend on every other.
 */
export const LOADER_MODULE: NodeModule = module;

let tsRegistered = false;

/**
 * Makes `require` understand TypeScript, through ts-node, unless something (the
 * test runner, ts-node itself) already did. Transpile-only unless `typecheck`:
 * type errors are the job of `tsc --noEmit` in CI, and checking costs seconds.
 */
export function registerTypeScript(root: string, typecheck: boolean): void {
  if (tsRegistered || require.extensions['.ts']) return;
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const tsNode = require('ts-node') as typeof import('ts-node');
  const project = path.join(root, 'tsconfig.json');
  tsNode.register({
    project: fs.existsSync(project) ? project : undefined,
    transpileOnly: !typecheck,
    compilerOptions: { module: 'commonjs' },
  });
  tsRegistered = true;
}

// The synthops package this module belongs to (its lib/ or src/ sits right below).
const OWN_PACKAGE_ROOT = path.resolve(__dirname, '..', '..');

/**
 * Drops the config repo's modules from Node's require cache, so a synth in a
 * long-lived process (a library caller, a test) reads the sources as they are now:
 * everything under `apps/` and `imports/`, and any other module of the repo outside
 * node_modules (local helpers), except synthops's own code. A stale helper would
 * otherwise render old output and poison the synth cache with it.
 */
function forgetModules(root: string): void {
  const prefixes = [APPS_DIR, 'imports'].map((d) => path.join(root, d) + path.sep);
  const rootPrefix = root + path.sep;
  const ownPrefix = OWN_PACKAGE_ROOT + path.sep;
  const nodeModules = `${path.sep}node_modules${path.sep}`;
  for (const key of Object.keys(require.cache)) {
    const helper = key.startsWith(rootPrefix) && !key.includes(nodeModules) && !key.startsWith(ownPrefix);
    if (helper || prefixes.some((p) => key.startsWith(p))) delete require.cache[key];
  }
  // Node keeps every module this one required among its children; let forgotten ones go.
  module.children = module.children.filter((c) => require.cache[c.filename] === c);
}

function relative(root: string, file: string): string {
  return path.relative(root, file).split(path.sep).join('/');
}

function defaultExport(mod: unknown): unknown {
  if (typeof mod === 'object' && mod !== null && 'default' in mod) return (mod as { default: unknown }).default;
  return mod;
}

function errorText(e: unknown): string {
  return e instanceof Error ? e.message : String(e);
}

/**
 * Gets `require` ready to load the config repo at `root`: TypeScript registered and
 * the repo's modules dropped from the require cache. Call once per synth, before
 * {@link loadEnvironments} and {@link loadAppModule}.
 */
export function prepareLoading(root: string, options: { typecheck?: boolean } = {}): void {
  if (!fs.existsSync(path.join(root, APPS_DIR))) {
    throw new UsageError(
      `${root}: no ${APPS_DIR}/ folder; is this a synthops config repo? (synthops init creates one)`,
    );
  }
  registerTypeScript(root, options.typecheck ?? false);
  forgetModules(root);
}

/** The environments module of a config repo, loaded. */
export interface LoadedEnvironments {
  readonly environments: Environments;
  /** Absolute path of the module. */
  readonly file: string;
}

/** Absolute path of `apps/environments.ts` (or `.js`), or undefined when there is none. */
function environmentsFile(root: string): string | undefined {
  const appsDir = path.join(root, APPS_DIR);
  return SOURCE_EXT.map((ext) => path.join(appsDir, `${ENVIRONMENTS_MODULE}${ext}`)).find((f) => fs.existsSync(f));
}

/** Loads `apps/environments.ts`; throws a {@link ConfigError} when it is missing or wrong. */
export function loadEnvironments(root: string): LoadedEnvironments {
  const envFile = environmentsFile(root);
  if (!envFile) {
    throw new ConfigError(
      `${APPS_DIR}/${ENVIRONMENTS_MODULE}.ts`,
      'missing: it declares the environments (export default defineEnvironments({...}))',
    );
  }
  let environments: unknown;
  try {
    environments = defaultExport(require(envFile));
  } catch (e) {
    throw new ConfigError(relative(root, envFile), `failed to load: ${errorText(e)}`);
  }
  if (!isEnvironments(environments)) {
    throw new ConfigError(
      relative(root, envFile),
      'the default export must be the result of defineEnvironments({...})',
    );
  }
  return { environments, file: envFile };
}

/** What one app module yielded: its app definitions, or why it has none. */
export type LoadedModule =
  | { readonly source: string; readonly apps: readonly DiscoveredApp[] }
  | { readonly source: string; readonly problem: ModuleProblem };

/** Source path of an app module as synth reports it: relative to `root`, "/" separated. */
export function sourceOf(root: string, file: string): string {
  return relative(root, file);
}

/** Requires one app module (absolute path) and checks its default export. Never throws. */
export function loadAppModule(root: string, file: string): LoadedModule {
  const source = relative(root, file);
  let exported: unknown;
  try {
    exported = defaultExport(require(file));
  } catch (e) {
    return { source, problem: { source, message: `failed to load: ${errorText(e)}` } };
  }
  const defs = Array.isArray(exported) ? exported : [exported];
  if (defs.length === 0 || !defs.every(isAppDefinition)) {
    return { source, problem: { source, message: 'the default export must be defineApp({...}) or an array of them' } };
  }
  return { source, apps: defs.map((definition: AppDefinition) => ({ definition, source })) };
}

/**
 * Loads the environments and every app module of the config repo at `root`.
 * A module that fails to load is reported as a problem, not thrown: synth lists
 * every error at once.
 */
export function discover(root: string, options: { typecheck?: boolean } = {}): ConfigRepo {
  prepareLoading(root, options);
  const { environments } = loadEnvironments(root);
  const apps: DiscoveredApp[] = [];
  const problems: ModuleProblem[] = [];
  for (const file of listAppModules(path.join(root, APPS_DIR))) {
    const loaded = loadAppModule(root, file);
    if ('problem' in loaded) problems.push(loaded.problem);
    else apps.push(...loaded.apps);
  }
  return { root, environments, apps, problems };
}
