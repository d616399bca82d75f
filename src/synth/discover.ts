import * as fs from 'fs';
import * as path from 'path';
import { AppDefinition, isAppDefinition } from '../author/define-app';
import { Environments, isEnvironments } from '../author/environments';
import { ConfigError, UsageError } from '../errors';

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
      const index = SOURCE_EXT.map((ext) => path.join(appsDir, entry.name, `index${ext}`)).find((f) => fs.existsSync(f));
      if (index) found.push(index);
    }
  }
  return found.sort();
}

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

/**
 * Drops the config repo's modules from Node's require cache, so a synth in a
 * long-lived process (a library caller, a test) reads the sources as they are now.
 */
function forgetModules(root: string): void {
  const prefixes = [APPS_DIR, 'imports'].map((d) => path.join(root, d) + path.sep);
  for (const key of Object.keys(require.cache)) {
    if (prefixes.some((p) => key.startsWith(p))) delete require.cache[key];
  }
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
 * Loads the environments and every app module of the config repo at `root`.
 * A module that fails to load is reported as a problem, not thrown: synth lists
 * every error at once.
 */
export function discover(root: string, options: { typecheck?: boolean } = {}): ConfigRepo {
  const appsDir = path.join(root, APPS_DIR);
  if (!fs.existsSync(appsDir)) {
    throw new UsageError(`${root}: no ${APPS_DIR}/ folder; is this a synthops config repo? (synthops init creates one)`);
  }
  registerTypeScript(root, options.typecheck ?? false);
  forgetModules(root);

  const envFile = SOURCE_EXT.map((ext) => path.join(appsDir, `${ENVIRONMENTS_MODULE}${ext}`)).find((f) => fs.existsSync(f));
  if (!envFile) {
    throw new ConfigError(`${APPS_DIR}/${ENVIRONMENTS_MODULE}.ts`, 'missing: it declares the environments (export default defineEnvironments({...}))');
  }
  let environments: unknown;
  try {
    environments = defaultExport(require(envFile));
  } catch (e) {
    throw new ConfigError(relative(root, envFile), `failed to load: ${errorText(e)}`);
  }
  if (!isEnvironments(environments)) {
    throw new ConfigError(relative(root, envFile), 'the default export must be the result of defineEnvironments({...})');
  }

  const apps: DiscoveredApp[] = [];
  const problems: ModuleProblem[] = [];
  for (const file of listAppModules(appsDir)) {
    const source = relative(root, file);
    let exported: unknown;
    try {
      exported = defaultExport(require(file));
    } catch (e) {
      problems.push({ source, message: `failed to load: ${errorText(e)}` });
      continue;
    }
    const defs = Array.isArray(exported) ? exported : [exported];
    if (defs.length === 0 || !defs.every(isAppDefinition)) {
      problems.push({ source, message: 'the default export must be defineApp({...}) or an array of them' });
      continue;
    }
    for (const definition of defs) apps.push({ definition, source });
  }
  return { root, environments, apps, problems };
}
