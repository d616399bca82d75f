import * as fs from 'fs';
import * as path from 'path';
import { AppDefinition } from '../author/define-app';
import { DEFAULT_IMAGE_PINS_FILE, ImagePinProblem, ImagePins, readImagePins } from '../author/image-pins';
import { UsageError } from '../model/errors';
import { AppOutput, indexedApp, layoutApp, relayoutIfScopesChanged } from './app-output';
import { AppSummary, CachedModule, DebugLog, SynthCache, cacheKey, defaultCacheDir } from './cache';
import { DepResolver } from './deps';
import {
  APPS_DIR,
  ModuleProblem,
  listAppModules,
  loadAppModule,
  loadEnvironments,
  prepareLoading,
  sourceOf,
} from './discover';
import { INDEX_API_VERSION, INDEX_FILE, IndexedApp, IndexedFile, SynthIndex, indexToJson } from '../model/index-file';
import { Manifest, byteOrder } from '../model/manifest';
import { planRenders, renderApps } from './render';
import { ScopeResolver } from './scope';
import { ReadTracer, TracedReads, newTracedReads } from './trace';
import { guardAppSynth } from './app-synth-guard';
import { checkPeers } from './peers';
import { CheckedObject, ValidationIssue, imageKey, validateObjects } from './validate';
import { loadSopsRules } from './sops-rules';
import { writeTreeAtomically } from './write';

/** Options of {@link synth}. */
export interface SynthOptions {
  /** Root of the config repo. @default process.cwd() */
  readonly root?: string;
  /** Output folder, relative to `root` unless absolute. @default 'dist' */
  readonly out?: string;
  /** Render only these environments. @default - every environment */
  readonly envs?: readonly string[];
  /** Type-check the apps while loading them (slower). @default false */
  readonly typecheck?: boolean;
  /** Render and validate, but write nothing. @default false */
  readonly dryRun?: boolean;
  /**
   * Reuse the output of app modules whose inputs did not change since the last synth,
   * and rewrite only the output files that changed. The result is identical either way.
   * @default true
   */
  readonly cache?: boolean;
  /** Cache folder, relative to `root` unless absolute. @default 'node_modules/.cache/synthops/synth' */
  readonly cacheDir?: string;
  /** Receives debug messages (why the cache missed, or could not be used). @default - none */
  readonly debug?: DebugLog;
  /** Told after each app module loaded (or taken from the cache) and each app built and rendered. @default - none */
  readonly onProgress?: (p: SynthProgress) => void;
}

/** How far a synth is: `done` of `total` in one step. */
export interface SynthProgress {
  readonly step: 'load' | 'build' | 'render';
  readonly done: number;
  readonly total: number;
}

/** How much work a synth did. */
export interface SynthStats {
  /** App modules loaded and built. */
  readonly rendered: number;
  /** App modules whose output came from the cache, without loading them. */
  readonly cached: number;
  /** Sources of the app modules loaded and built, relative to the root. */
  readonly renderedSources: readonly string[];
  /** Output files written (0 when nothing was written). */
  readonly filesWritten: number;
  /** Output files reused unchanged from the previous output (moved with their folder, or hard-linked). */
  readonly filesReused: number;
}

/** What a synth produced. `ok` is false when there were validation errors; then nothing was written. */
export interface SynthResult {
  readonly ok: boolean;
  readonly issues: readonly ValidationIssue[];
  /** Absolute path of the output folder. */
  readonly outDir: string;
  /** The index (also written as `<out>/index.json` when ok). */
  readonly index: SynthIndex;
  /** Every output file, relative path -> content (index.json included). */
  readonly files: ReadonlyMap<string, string>;
  readonly stats: SynthStats;
}

const APP_NAME = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;

/** An app as the repo-level checks see it: a loaded definition or a cached summary. */
interface KnownApp {
  readonly summary: AppSummary;
  readonly source: string;
}

function repoIssues(
  problems: readonly ModuleProblem[],
  apps: readonly KnownApp[],
  known: readonly string[],
  envNames: readonly string[],
  pins: ImagePins,
  pinProblems: readonly ImagePinProblem[],
): ValidationIssue[] {
  const issues: ValidationIssue[] = problems.map((p) => ({
    rule: 'module-error',
    source: p.source,
    message: p.message,
  }));
  for (const p of pinProblems) {
    issues.push({
      rule: p.kind === 'not-pinned' ? 'image-not-pinned' : 'invalid-image-pin',
      source: DEFAULT_IMAGE_PINS_FILE,
      ...(p.env ? { env: p.env } : {}),
      ...(p.app ? { app: p.app } : {}),
      message: p.message,
    });
  }
  const seen = new Map<string, string>();
  for (const { summary: d, source } of apps) {
    if (!APP_NAME.test(d.name) || d.name.length > 63) {
      issues.push({
        rule: 'invalid-app',
        app: d.name,
        source,
        message: `app name "${d.name}" must be a DNS label (lowercase letters, digits, "-", at most 63)`,
      });
    }
    const other = seen.get(d.name);
    if (other !== undefined)
      issues.push({
        rule: 'invalid-app',
        app: d.name,
        source,
        message: `app name "${d.name}" is also used by ${other}`,
      });
    else seen.set(d.name, source);
    for (const dep of d.dependsOn ?? []) {
      if (!apps.some((a) => a.summary.name === dep))
        issues.push({
          rule: 'invalid-app',
          app: d.name,
          source,
          message: `depends on "${dep}", which is not an app of this repo`,
        });
    }
    for (const e of d.environments ?? []) {
      if (!known.includes(e))
        issues.push({
          rule: 'unknown-environment',
          app: d.name,
          source,
          message: `environment "${e}" is not declared in apps/environments.ts (known: ${known.join(', ')})`,
        });
    }
  }
  for (const [env, appPins] of Object.entries(pins)) {
    if (!known.includes(env)) {
      issues.push({
        rule: 'unknown-image-pin',
        source: DEFAULT_IMAGE_PINS_FILE,
        env,
        message: `environment "${env}" is not declared in apps/environments.ts`,
      });
      continue;
    }
    if (!envNames.includes(env)) continue;
    for (const app of Object.keys(appPins)) {
      if (!seen.has(app))
        issues.push({
          rule: 'unknown-image-pin',
          source: DEFAULT_IMAGE_PINS_FILE,
          env,
          app,
          message: `no app named "${app}" exists`,
        });
    }
  }
  return issues;
}

function summaryOf(d: AppDefinition): AppSummary {
  return {
    name: d.name,
    ...(d.environments ? { environments: [...d.environments] } : {}),
    ...(d.dependsOn ? { dependsOn: [...d.dependsOn] } : {}),
  };
}

/** One app module in this synth: from the cache, or loaded now. */
type ModuleUnit =
  | { readonly kind: 'cached'; readonly source: string; readonly entry: CachedModule }
  | {
      readonly kind: 'loaded';
      readonly source: string;
      readonly file: string;
      readonly apps: readonly AppDefinition[];
      readonly traced: TracedReads;
    }
  | { readonly kind: 'problem'; readonly source: string; readonly problem: ModuleProblem };

/** The synth cache, when it is on and usable for this synth. */
interface CacheSession {
  readonly cache: SynthCache;
  readonly deps: DepResolver;
  readonly tracer: ReadTracer;
}

function isInside(child: string, parent: string): boolean {
  const rel = path.relative(parent, child);
  return rel === '' || (!rel.startsWith('..') && !path.isAbsolute(rel));
}

/**
 * Renders every app of a config repo for the selected environments, validates the
 * result, and, only when there is no error, replaces the output folder with one YAML
 * file per object plus `index.json`. Output bytes depend only on the sources.
 *
 * With the cache (the default), app modules whose inputs are unchanged since the last
 * synth are not loaded; their output comes from the cache, and every check runs over
 * all apps as in a synth without it.
 */
export function synth(options: SynthOptions = {}): SynthResult {
  const root = path.resolve(options.root ?? process.cwd());
  const outDir = path.resolve(root, options.out ?? 'dist');
  const debug = options.debug ?? (() => undefined);
  const useCache = options.cache !== false;
  const cacheDir = path.resolve(root, options.cacheDir ?? defaultCacheDir(root));
  if (useCache && (isInside(cacheDir, outDir) || isInside(outDir, cacheDir))) {
    throw new UsageError(`the synth cache ${cacheDir} and the output folder ${outDir} must not contain one another`);
  }
  checkPeers(root);
  prepareLoading(root, { typecheck: options.typecheck });
  // The default place is the repo's node_modules (git-ignored); never create one just for the cache.
  const cacheUsable = useCache && (options.cacheDir !== undefined || fs.existsSync(path.join(root, 'node_modules')));
  if (useCache && !cacheUsable)
    debug(`cache: off: ${root} has no node_modules folder (pass cacheDir to use one elsewhere)`);
  const tracer = cacheUsable ? new ReadTracer() : undefined;
  tracer?.install();
  const unguard = guardAppSynth(root);
  try {
    return synthLoaded(root, outDir, options, tracer ? { tracer, cacheDir, debug } : undefined);
  } finally {
    unguard();
    tracer?.uninstall();
  }
}

function synthLoaded(
  root: string,
  outDir: string,
  options: SynthOptions,
  caching: { tracer: ReadTracer; cacheDir: string; debug: DebugLog } | undefined,
): SynthResult {
  const envTraced = newTracedReads();
  const during = <T>(traced: TracedReads, fn: () => T): T => (caching ? caching.tracer.during(traced, fn) : fn());
  const { environments, file: envFile } = during(envTraced, () => loadEnvironments(root));
  const known = Object.keys(environments.definitions);
  const envNames = options.envs && options.envs.length > 0 ? [...options.envs] : known;
  const unknown = envNames.filter((e) => !known.includes(e));
  if (unknown.length > 0)
    throw new UsageError(
      `unknown environment(s) ${unknown.join(', ')}; declared in apps/environments.ts: ${known.join(', ')}`,
    );
  const { pins, problems: pinProblems } = readImagePins(path.join(root, DEFAULT_IMAGE_PINS_FILE));
  const moduleFiles = listAppModules(path.join(root, APPS_DIR));

  let session: CacheSession | undefined;
  if (caching) {
    const deps = new DepResolver(root, moduleFiles, caching.tracer.readHashes);
    const envModule = require.cache[envFile];
    if (envTraced.uncacheable || !envModule) {
      caching.debug(
        `cache: off for this synth: apps/environments ${envTraced.uncacheable ?? 'was not loaded as a module'}`,
      );
    } else {
      const sharedKeys = [
        ...deps.moduleKeys(envModule, envTraced),
        `f:${DEFAULT_IMAGE_PINS_FILE}`,
        'f:tsconfig.json',
        'f:package.json',
      ];
      const key = cacheKey({ root, envNames, typecheck: options.typecheck ?? false, shared: deps.record(sharedKeys) });
      session = { cache: new SynthCache(caching.cacheDir, key, caching.debug), deps, tracer: caching.tracer };
    }
  }

  // Load (or take from the cache) every app module, in discovery order.
  const units: ModuleUnit[] = moduleFiles.map((file, i) => {
    options.onProgress?.({ step: 'load', done: i, total: moduleFiles.length });
    const source = sourceOf(root, file);
    const entry = session?.cache.lookup(source, envNames, (d) => session!.deps.matches(d));
    if (entry) return { kind: 'cached', source, entry };
    const traced = newTracedReads();
    const loaded = during(traced, () => loadAppModule(root, file));
    if ('problem' in loaded) return { kind: 'problem', source, problem: loaded.problem };
    return { kind: 'loaded', source, file, apps: loaded.apps.map((a) => a.definition), traced };
  });

  type PlanApp = KnownApp & {
    readonly name: string;
    readonly environments?: readonly string[];
    readonly unit: ModuleUnit;
    readonly definition?: AppDefinition;
  };
  const apps: PlanApp[] = units.flatMap((unit): PlanApp[] => {
    if (unit.kind === 'cached')
      return unit.entry.apps.map((summary) => ({
        summary,
        source: unit.source,
        name: summary.name,
        environments: summary.environments,
        unit,
      }));
    if (unit.kind === 'loaded')
      return unit.apps.map((definition) => ({
        summary: summaryOf(definition),
        source: unit.source,
        name: definition.name,
        environments: definition.environments,
        unit,
        definition,
      }));
    return [];
  });
  const problems = units.flatMap((u) => (u.kind === 'problem' ? [u.problem] : []));
  const issues = repoIssues(problems, apps, known, envNames, pins, pinProblems);

  // Build the loaded apps; the cached ones bring their output.
  const plan = planRenders(apps, envNames);
  const tracedOf = new Map(units.flatMap((u) => (u.kind === 'loaded' ? [[u.source, u.traced] as const] : [])));
  const cachedOutputs = plan.flatMap(({ env, app }) => {
    if (app.unit.kind !== 'cached') return [];
    return app.unit.entry.outputs.filter((o) => o.env === env && o.app === app.name);
  });
  const targets = plan
    .filter((p) => p.app.definition)
    .map(({ env, app }) => ({ env, definition: app.definition!, source: app.source }));
  const steps = { build: 0, render: 0 };
  const rendered = renderApps(
    targets,
    environments,
    pins,
    (source, build) => during(tracedOf.get(source) ?? newTracedReads(), build),
    // Apps that render from every app of the environment (AgentInstall) see the cached ones too.
    cachedOutputs.map((o) => ({
      env: o.env,
      app: o.app,
      namespace: o.namespace,
      serviceAccount: o.serviceAccount,
      manifests: o.objects.map((x) => x.manifest),
    })),
    root,
    options.onProgress &&
      ((step) => {
        const p = step === 'built' ? 'build' : 'render';
        options.onProgress?.({ step: p, done: ++steps[p], total: targets.length });
      }),
  );
  for (const f of rendered.failures)
    issues.push({ rule: 'app-error', env: f.env, app: f.app, source: f.source, message: f.message });
  for (const a of rendered.apps) {
    const traced = tracedOf.get(a.source);
    // Its output changes whenever another app does: never reuse it.
    if (a.dependsOnEnvironment && traced && !traced.uncacheable)
      traced.uncacheable = `app ${a.app} renders from every app of its environment`;
  }

  // Normalisation needs every CRD of the render, cached or not.
  const scopes = new ScopeResolver([
    ...rendered.apps.flatMap((a) => a.objects.map((o) => o.manifest)),
    ...cachedOutputs.flatMap((o) => o.objects.map((x) => x.manifest)),
  ]);
  const outputs: AppOutput[] = [
    ...rendered.apps.map((ra) =>
      layoutApp(
        {
          env: ra.env,
          app: ra.app,
          source: ra.source,
          namespace: ra.namespace,
          dependsOn: ra.dependsOn,
          ...(ra.serviceAccount ? { serviceAccount: ra.serviceAccount } : {}),
        },
        ra.objects.map((o): Manifest => o.manifest),
        scopes,
        ra.objects.map((o) => o.sopsFile),
      ),
    ),
    ...cachedOutputs.map((o) => relayoutIfScopesChanged(o, scopes)),
  ].sort((a, b) => (a.env === b.env ? byteOrder(a.app, b.app) : envNames.indexOf(a.env) - envNames.indexOf(b.env)));

  const files = new Map<string, string>();
  const hashes = new Map<string, string>();
  const indexFiles: IndexedFile[] = [];
  const indexApps: IndexedApp[] = [];
  const checked: CheckedObject[] = [];
  const production = new Set(envNames.filter((e) => environments.definitions[e].production));
  for (const out of outputs) {
    const def = environments.definitions[out.env];
    const allowPlain =
      (def?.apps?.[out.app]?.allowUnencryptedSecrets ?? def?.defaults?.allowUnencryptedSecrets) === true;
    for (const o of out.objects)
      checked.push({
        env: out.env,
        app: out.app,
        source: out.source,
        production: production.has(out.env),
        manifest: o.manifest,
        sopsFile: o.sopsFile,
        allowUnencryptedSecrets: allowPlain,
      });
    if (!out.files) continue;
    for (const f of out.files) {
      files.set(f.path, f.content);
      hashes.set(f.path, f.sha256);
      indexFiles.push({ path: f.path, sha256: f.sha256 });
    }
    indexApps.push(indexedApp(out));
  }
  // A bad pin is reported once, at the pins file, not again at each container that uses it.
  const reportedImages = new Set(
    pinProblems.flatMap((p) =>
      p.kind === 'not-pinned' && p.env && p.app ? [imageKey(p.env, p.app, pins[p.env][p.app])] : [],
    ),
  );
  issues.push(...validateObjects(checked, scopes, reportedImages, loadSopsRules(root)));

  const index: SynthIndex = {
    apiVersion: INDEX_API_VERSION,
    kind: 'SynthIndex',
    environments: envNames,
    apps: indexApps,
    files: indexFiles,
  };
  files.set(INDEX_FILE, indexToJson(index));
  const ok = issues.length === 0;
  let filesWritten = 0;
  let filesReused = 0;
  if (ok && !options.dryRun) {
    const previous = session?.cache.readDistState(outDir);
    const w = writeTreeAtomically(outDir, files, { hashes, previous, record: session !== undefined });
    filesWritten = w.written;
    filesReused = w.reused;
    if (session && w.state) session.cache.writeDistState(w.state);
  }
  if (session)
    storeLoaded(
      session,
      units,
      envNames,
      outputs,
      rendered.failures.map((f) => f.source),
    );

  const renderedSources = units.filter((u) => u.kind !== 'cached').map((u) => u.source);
  return {
    ok,
    issues,
    outDir,
    index,
    files,
    stats: {
      rendered: renderedSources.length,
      cached: units.length - renderedSources.length,
      renderedSources,
      filesWritten,
      filesReused,
    },
  };
}

/**
 * Stores the output of every module loaded in this synth that can be reused as is:
 * it loaded and built without error, read nothing the tracer cannot follow, and each
 * of its apps has complete output in every selected environment it is meant for (an
 * app left out as a duplicate name would leave a hole only loading can fill).
 */
function storeLoaded(
  session: CacheSession,
  units: readonly ModuleUnit[],
  envNames: readonly string[],
  outputs: readonly AppOutput[],
  failed: readonly string[],
): void {
  const failedSources = new Set(failed);
  const bySource = new Map<string, AppOutput[]>();
  for (const o of outputs) {
    const list = bySource.get(o.source) ?? [];
    list.push(o);
    bySource.set(o.source, list);
  }
  session.deps.refreshModules(); // the app modules loaded since the shared inputs were recorded
  for (const unit of units) {
    if (unit.kind !== 'loaded' || failedSources.has(unit.source)) continue;
    if (unit.traced.uncacheable) {
      session.cache.forget(unit.source, unit.traced.uncacheable);
      continue;
    }
    const mine = bySource.get(unit.source) ?? [];
    const complete = new Set(mine.filter((o) => o.files).map((o) => `${o.env}/${o.app}`));
    const covered = unit.apps.every((d) =>
      envNames.every((env) => (d.environments && !d.environments.includes(env)) || complete.has(`${env}/${d.name}`)),
    );
    const module = require.cache[unit.file];
    if (!covered || mine.length !== complete.size || !module) continue;
    const ownTree = path.basename(unit.file, path.extname(unit.file)) === 'index' ? path.dirname(unit.file) : undefined;
    const deps = session.deps.record(session.deps.moduleKeys(module, unit.traced, ownTree));
    session.cache.store({ source: unit.source, deps, apps: unit.apps.map(summaryOf), outputs: mine });
  }
  session.cache.prune(units.map((u) => u.source));
}
