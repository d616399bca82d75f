import { createHash } from 'crypto';
import * as path from 'path';
import { DEFAULT_IMAGE_PINS_FILE, ImagePins, loadImagePins } from '../author/image-pins';
import { UsageError } from '../errors';
import { ConfigRepo, discover } from './discover';
import { INDEX_API_VERSION, INDEX_FILE, IndexedApp, IndexedFile, SynthIndex, indexToJson } from './index-file';
import { fileNames } from './layout';
import { refOf } from './manifest';
import { normalize } from './normalize';
import { RenderResult, render } from './render';
import { ScopeResolver } from './scope';
import { toYaml } from './serialize';
import { CheckedObject, ValidationIssue, validateObjects } from './validate';
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
}

const APP_NAME = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;

function repoIssues(repo: ConfigRepo, envNames: readonly string[], pins: ImagePins): ValidationIssue[] {
  const issues: ValidationIssue[] = repo.problems.map((p) => ({ rule: 'module-error', source: p.source, message: p.message }));
  const known = Object.keys(repo.environments.definitions);
  const seen = new Map<string, string>();
  for (const { definition: d, source } of repo.apps) {
    if (!APP_NAME.test(d.name) || d.name.length > 63) {
      issues.push({ rule: 'invalid-app', app: d.name, source, message: `app name "${d.name}" must be a DNS label (lowercase letters, digits, "-", at most 63)` });
    }
    const other = seen.get(d.name);
    if (other !== undefined) issues.push({ rule: 'invalid-app', app: d.name, source, message: `app name "${d.name}" is also used by ${other}` });
    else seen.set(d.name, source);
    for (const dep of d.dependsOn ?? []) {
      if (!repo.apps.some((a) => a.definition.name === dep)) issues.push({ rule: 'invalid-app', app: d.name, source, message: `depends on "${dep}", which is not an app of this repo` });
    }
    for (const e of d.environments ?? []) {
      if (!known.includes(e)) issues.push({ rule: 'unknown-environment', app: d.name, source, message: `environment "${e}" is not declared in apps/environments.ts (known: ${known.join(', ')})` });
    }
  }
  for (const [env, apps] of Object.entries(pins)) {
    if (!known.includes(env)) {
      issues.push({ rule: 'unknown-image-pin', source: DEFAULT_IMAGE_PINS_FILE, env, message: `environment "${env}" is not declared in apps/environments.ts` });
      continue;
    }
    if (!envNames.includes(env)) continue;
    for (const app of Object.keys(apps)) {
      if (!seen.has(app)) issues.push({ rule: 'unknown-image-pin', source: DEFAULT_IMAGE_PINS_FILE, env, app, message: `no app named "${app}" exists` });
    }
  }
  return issues;
}

function sha256(s: string): string {
  return createHash('sha256').update(s).digest('hex');
}

/** Lays the rendered apps out as files and builds the index. */
function layout(rendered: RenderResult, envNames: readonly string[], scopes: ScopeResolver) {
  const files = new Map<string, string>();
  const indexFiles: IndexedFile[] = [];
  const indexApps: IndexedApp[] = [];
  const checked: CheckedObject[] = [];
  const sortedApps = [...rendered.apps].sort((a, b) => (a.env === b.env ? a.app.localeCompare(b.app) : envNames.indexOf(a.env) - envNames.indexOf(b.env)));
  for (const ra of sortedApps) {
    const manifests = ra.objects.map((o) => normalize(o.manifest, ra.app, ra.env, scopes));
    for (const m of manifests) checked.push({ env: ra.env, app: ra.app, source: ra.source, production: false, manifest: m });
    if (manifests.some((m) => typeof m.metadata?.name !== 'string' || typeof m.kind !== 'string')) continue;
    const names = fileNames(manifests);
    const entries = manifests.map((m, i) => ({ m, file: `${ra.env}/${ra.app}/${names[i]}` })).sort((a, b) => a.file.localeCompare(b.file));
    for (const { m, file } of entries) {
      const content = toYaml(m);
      files.set(file, content);
      indexFiles.push({ path: file, sha256: sha256(content) });
    }
    indexApps.push({
      env: ra.env,
      app: ra.app,
      namespace: ra.namespace,
      source: ra.source,
      ...(ra.dependsOn.length > 0 ? { dependsOn: [...ra.dependsOn].sort() } : {}),
      ...(ra.serviceAccount ? { serviceAccount: ra.serviceAccount } : {}),
      objects: entries.map(({ m, file }) => ({ ...refOf(m), file })),
    });
  }
  return { files, indexFiles, indexApps, checked };
}

/**
 * Renders every app of a config repo for the selected environments, validates the
 * result, and, only when there is no error, replaces the output folder with one YAML
 * file per object plus `index.json`. Output bytes depend only on the sources.
 */
export function synth(options: SynthOptions = {}): SynthResult {
  const root = path.resolve(options.root ?? process.cwd());
  const outDir = path.resolve(root, options.out ?? 'dist');
  const repo = discover(root, { typecheck: options.typecheck });
  const known = Object.keys(repo.environments.definitions);
  const envNames = options.envs && options.envs.length > 0 ? [...options.envs] : known;
  const unknown = envNames.filter((e) => !known.includes(e));
  if (unknown.length > 0) throw new UsageError(`unknown environment(s) ${unknown.join(', ')}; declared in apps/environments.ts: ${known.join(', ')}`);

  const pins = loadImagePins(path.join(root, DEFAULT_IMAGE_PINS_FILE));
  const issues = repoIssues(repo, envNames, pins);
  const rendered = render(repo, envNames, pins);
  for (const f of rendered.failures) issues.push({ rule: 'app-error', env: f.env, app: f.app, source: f.source, message: f.message });

  const scopes = new ScopeResolver(rendered.apps.flatMap((a) => a.objects.map((o) => o.manifest)));
  const { files, indexFiles, indexApps, checked } = layout(rendered, envNames, scopes);
  const production = new Set(envNames.filter((e) => repo.environments.definitions[e].production));
  issues.push(...validateObjects(checked.map((c) => ({ ...c, production: production.has(c.env) })), scopes));

  const index: SynthIndex = {
    apiVersion: INDEX_API_VERSION,
    kind: 'SynthIndex',
    environments: envNames,
    apps: indexApps,
    files: indexFiles,
  };
  files.set(INDEX_FILE, indexToJson(index));
  const ok = issues.length === 0;
  if (ok && !options.dryRun) writeTreeAtomically(outDir, files);
  return { ok, issues, outDir, index, files };
}
