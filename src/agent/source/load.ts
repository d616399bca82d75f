import * as fs from 'fs';
import * as path from 'path';
import * as YAML from 'yaml';
import { INDEX_API_VERSION, INDEX_FILE, SynthIndex } from '../../model/index-file';
import { Manifest, describeObject, identityKey, refOf } from '../../model/manifest';
import { parseKubeYamlDocuments } from '../../model/kube-yaml';
import { SynthopsError } from '../../model/errors';
import { RenderError } from '../../render/run';
import { LoadError } from './errors';
import { foreignAnnotationWarning } from './foreign-annotations';
import { ParseCache, ParsedDocument } from './parse-cache';
import { HookFilter, LayoutChoice, RenderSettings, RenderedSource, detectLayout, renderSource } from './render';
import { LoadedManifests } from './revision';

export { LoadedManifests };
import { sha256 } from '../../model/hash';

/** One object of the revision and where it came from. */
export interface DesiredObject {
  readonly manifest: Manifest;
  /** `file#document` (document index from 0), relative to the loaded folder. */
  readonly origin: string;
  /**
   * The digest to record on the live object instead of the one of the object as
   * applied: a decrypted SOPS document's is that of its encrypted form.
   * @default - computed from the object as applied
   */
  readonly digest?: string;
}

/** One app of the revision. */
export interface DesiredApp {
  readonly name: string;
  readonly env: string;
  /** Apps that must be healthy before this one is applied. */
  readonly dependsOn: readonly string[];
  /** ServiceAccount (`namespace/name`) to apply the app as, by impersonation. @default - the agent's own ServiceAccount */
  readonly serviceAccount?: string;
  readonly objects: readonly DesiredObject[];
}

/** Options of {@link loadRevision}. */
export interface LoadOptions {
  /** Folder inside the checkout. @default '.' */
  readonly path?: string;
  /** Environment to load from synthops output (required when it has several). For plain YAML, the env label. @default - the output's only environment; 'default' for plain YAML */
  readonly env?: string;
  /** App name for plain YAML. @default - the folder name */
  readonly app?: string;
  /** Name used when the folder is the repo root. @default 'default' */
  readonly fallbackName?: string;
  /** The revision, for error messages. */
  readonly revision: string;
  /** ServiceAccount (`namespace/name`) to apply plain YAML as. @default - the agent's own ServiceAccount */
  readonly serviceAccount?: string;
  /** Parsed files of earlier loads, by content hash. @default - none: every file is parsed */
  readonly cache?: ParseCache;
  /** How the folder is read. @default 'auto': synthops with an index.json, kustomize with a kustomization, helm with a Chart.yaml, else plain */
  readonly layout?: LayoutChoice;
  /** How Kustomize and Helm folders are rendered. @default - the safe defaults of {@link RenderSettings} */
  readonly render?: RenderSettings;
  /** Namespace of objects that name none (the agent's --namespace): Helm's release namespace. @default 'default' */
  readonly namespace?: string;
}

const DEFAULT_ENV = 'default';

function walkYaml(root: string): string[] {
  const out: string[] = [];
  const walk = (dir: string) => {
    for (const e of fs.readdirSync(dir, { withFileTypes: true })) {
      if (e.name.startsWith('.')) continue;
      const p = path.join(dir, e.name);
      if (e.isDirectory()) walk(p);
      else if (/\.ya?ml$/.test(e.name)) out.push(path.relative(root, p).split(path.sep).join('/'));
    }
  };
  walk(root);
  // Byte order, not locale order: the same on every machine.
  return out.sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
}

/**
 * How a file is read: `synthops` output with the YAML 1.2 rules it was written with
 * (synth/serialize.ts), `plain` manifests as kubectl reads them (YAML 1.1 values:
 * `0755` is octal, `yes` a bool).
 */
type Rules = 'synthops' | 'plain';

/** The objects of a file, from the cache when its bytes were parsed before. */
function objectsOf(
  bytes: Buffer,
  sha: string,
  file: string,
  problems: string[],
  cache: ParseCache | undefined,
  rules: Rules,
): DesiredObject[] {
  // The same bytes read by the other rules are another entry.
  const key = rules === 'plain' ? `plain:${sha}` : sha;
  const cached = cache?.get(key);
  if (cached) return cached.map((d) => ({ manifest: d.manifest, origin: `${file}#${d.doc}` }));
  const before = problems.length;
  const objects = parseObjects(bytes.toString('utf8'), file, problems, rules);
  if (cache && problems.length === before)
    cache.set(
      key,
      objects.map(
        (o): ParsedDocument => ({ doc: Number(o.origin.slice(o.origin.lastIndexOf('#') + 1)), manifest: o.manifest }),
      ),
    );
  return objects;
}

/** The documents of a file in order, each a value or the reason it cannot be read, with a line inside it. */
function documentsOf(
  text: string,
  file: string,
  rules: Rules,
): { index: number; line: number; value?: unknown; malformed?: string }[] {
  if (rules === 'plain') {
    const { documents, errors } = parseKubeYamlDocuments(text, file);
    return [
      ...documents.map((d) => ({ index: d.index, line: d.line, value: d.value as unknown })),
      ...errors.map((e) => ({
        index: e.document,
        line: e.line,
        malformed: `${e.reason} at line ${e.line}, column ${e.column}`,
      })),
    ].sort((a, b) => a.index - b.index);
  }
  return YAML.parseAllDocuments(text).map((doc, index) =>
    doc.errors.length > 0
      ? { index, line: 0, malformed: doc.errors[0].message.split('\n')[0] }
      : { index, line: 0, value: doc.toJSON() as unknown },
  );
}

/** How {@link parseObjects} names a document, and which objects it leaves out before checking them. */
interface ParseHooks {
  /** `file#document` of a document. @default - `${file}#${index}` */
  readonly originOf?: (index: number, line: number) => string;
  /** False leaves the object out (a skipped or refused Helm hook). @default - every object is kept */
  readonly keep?: (object: unknown, origin: string) => boolean;
}

/** Why an object with a generateName and no name cannot be loaded. */
function generateNameProblem(where: string, m: Partial<Manifest>): string {
  return (
    `${where}: ${String(m.kind)} ${m.metadata?.namespace ? `${m.metadata.namespace}/` : ''}${String(m.metadata?.generateName)}<generated> has metadata.generateName and no metadata.name: ` +
    'a pull agent cannot track it, since the API server picks a new name on every create: each apply would create another object, and none could be found again to update or prune. ' +
    'Give it a fixed metadata.name (for a one-off Job, one that changes when the Job should run again).'
  );
}

/** Parses every document of a YAML file; `v1 List` documents are expanded. */
function parseObjects(
  text: string,
  file: string,
  problems: string[],
  rules: Rules,
  hooks: ParseHooks = {},
): DesiredObject[] {
  const objects: DesiredObject[] = [];
  documentsOf(text, file, rules).forEach(({ index, line, value, malformed }) => {
    const where = hooks.originOf ? hooks.originOf(index, line) : `${file}#${index}`;
    if (malformed !== undefined) {
      problems.push(`${where}: malformed YAML: ${malformed}`);
      return;
    }
    if (value === null || value === undefined) return;
    const items =
      typeof value === 'object' &&
      (value as { kind?: unknown }).kind === 'List' &&
      Array.isArray((value as { items?: unknown }).items)
        ? (value as { items: unknown[] }).items
        : [value];
    for (const item of items) {
      if (typeof item !== 'object' || item === null || Array.isArray(item)) {
        problems.push(`${where}: not a Kubernetes object (expected a map)`);
        continue;
      }
      if (hooks.keep && !hooks.keep(item, where)) continue;
      const m = item as Partial<Manifest>;
      if (!(typeof m.metadata?.name === 'string' && m.metadata.name) && typeof m.metadata?.generateName === 'string') {
        problems.push(generateNameProblem(where, m));
        continue;
      }
      const missing = [
        typeof m.apiVersion === 'string' && m.apiVersion ? undefined : 'apiVersion',
        typeof m.kind === 'string' && m.kind ? undefined : 'kind',
        typeof m.metadata?.name === 'string' && m.metadata.name ? undefined : 'metadata.name',
      ].filter(Boolean);
      if (missing.length > 0) {
        problems.push(`${where}: object without ${missing.join(', ')}`);
        continue;
      }
      objects.push({ manifest: item as Manifest, origin: where });
    }
  });
  return objects;
}

function checkDuplicates(apps: readonly DesiredApp[], problems: string[]): void {
  const seen = new Map<string, string>();
  for (const app of apps) {
    for (const o of app.objects) {
      const key = identityKey(refOf(o.manifest));
      const first = seen.get(key);
      if (first) problems.push(`${o.origin}: duplicate object ${describeObject(refOf(o.manifest))}, also in ${first}`);
      else seen.set(key, o.origin);
    }
  }
}

function loadSynthops(root: string, opts: LoadOptions, problems: string[]): LoadedManifests {
  let index: SynthIndex;
  try {
    index = JSON.parse(fs.readFileSync(path.join(root, INDEX_FILE), 'utf8')) as SynthIndex;
  } catch (e) {
    problems.push(`${INDEX_FILE}: not valid JSON: ${(e as Error).message}`);
    return { layout: 'synthops', env: opts.env ?? DEFAULT_ENV, apps: [] };
  }
  if (index.apiVersion !== INDEX_API_VERSION || !Array.isArray(index.apps) || !Array.isArray(index.files)) {
    problems.push(`${INDEX_FILE}: not a synthops index (apiVersion ${INDEX_API_VERSION} with apps and files)`);
    return { layout: 'synthops', env: opts.env ?? DEFAULT_ENV, apps: [] };
  }
  let env = opts.env;
  if (!env) {
    if (index.environments.length !== 1) {
      problems.push(
        `${INDEX_FILE}: the output has environments ${index.environments.join(', ')}; choose one with --env`,
      );
      return { layout: 'synthops', env: DEFAULT_ENV, apps: [] };
    }
    env = index.environments[0];
  } else if (!index.environments.includes(env)) {
    problems.push(
      `${INDEX_FILE}: environment "${env}" is not in the output (it has ${index.environments.join(', ') || 'none'})`,
    );
  }

  const hashes = new Map(index.files.map((f) => [f.path, f.sha256]));
  // Every YAML file of the environment must be listed with its hash, and match it.
  for (const file of walkYaml(root).filter((f) => f.startsWith(`${env}/`))) {
    if (!hashes.has(file)) problems.push(`${file}: not listed in ${INDEX_FILE}`);
  }
  const cache = new Map<string, DesiredObject[]>();
  const apps: DesiredApp[] = [];
  for (const a of index.apps.filter((x) => x.env === env)) {
    const objects: DesiredObject[] = [];
    for (const ref of a.objects) {
      if (!cache.has(ref.file)) {
        const abs = path.join(root, ref.file);
        if (!fs.existsSync(abs)) {
          problems.push(`${ref.file}: listed in ${INDEX_FILE} but missing`);
          cache.set(ref.file, []);
          continue;
        }
        const bytes = fs.readFileSync(abs);
        const want = hashes.get(ref.file);
        if (want !== sha256(bytes)) {
          problems.push(`${ref.file}: sha256 does not match ${INDEX_FILE} (the file was changed after synth)`);
          cache.set(ref.file, []);
          continue;
        }
        cache.set(ref.file, objectsOf(bytes, want, ref.file, problems, opts.cache, 'synthops'));
      }
      const found = cache.get(ref.file)!.find((o) => identityKey(refOf(o.manifest)) === identityKey(ref));
      if (found) objects.push(found);
      else if (cache.get(ref.file)!.length > 0)
        problems.push(`${ref.file}: does not hold ${describeObject(ref)} as ${INDEX_FILE} says`);
    }
    apps.push({ name: a.app, env, dependsOn: a.dependsOn ?? [], serviceAccount: a.serviceAccount, objects });
  }
  return { layout: 'synthops', env, apps };
}

/** The app name of a plain, kustomize or helm folder. */
function appName(opts: LoadOptions): string {
  const rel = (opts.path ?? '.').replace(/\/+$/, '');
  return opts.app ?? (rel === '.' || rel === '' ? (opts.fallbackName ?? 'default') : path.basename(rel));
}

/**
 * Kustomize folders and Helm charts below a plain folder: their files are no manifests
 * (a kustomization, Chart.yaml, templates), so each is named once, with the way to render
 * it, instead of one "object without metadata.name" per file.
 */
function renderedFolders(files: readonly string[], problems: string[]): string[] {
  const folders: string[] = [];
  for (const file of files) {
    const dir = path.posix.dirname(file);
    const base = path.posix.basename(file);
    if (folders.some((f) => f === '.' || dir === f || dir.startsWith(`${f}/`))) continue;
    const kind =
      base === 'Chart.yaml' ? 'a Helm chart' : /^kustomization\.ya?ml$/.test(base) ? 'a Kustomize folder' : undefined;
    if (!kind) continue;
    folders.push(dir);
    const layout = kind === 'a Helm chart' ? 'helm' : 'kustomize';
    problems.push(
      dir === '.'
        ? `${file}: the folder is ${kind}, but the layout is plain: use --layout auto or --layout ${layout} to render it`
        : `${file}: ${dir} is ${kind} inside a plain-YAML folder: make ${dir} the source path to render it with ${layout}, or remove ${base}`,
    );
  }
  return folders;
}

function loadPlain(root: string, opts: LoadOptions, problems: string[]): LoadedManifests {
  const rel = (opts.path ?? '.').replace(/\/+$/, '');
  const name = appName(opts);
  const files = walkYaml(root);
  const skip = renderedFolders(files, problems);
  const objects = files
    .filter((f) => !skip.some((d) => d === '.' || f.startsWith(`${d}/`)))
    .flatMap((file) => {
      const bytes = fs.readFileSync(path.join(root, file));
      return objectsOf(bytes, sha256(bytes), file, problems, opts.cache, 'plain');
    });
  if (objects.length === 0 && problems.length === 0)
    problems.push(`${rel || '.'}: no Kubernetes objects in any *.yaml or *.yml file`);
  return {
    layout: 'plain',
    env: opts.env ?? DEFAULT_ENV,
    apps: [{ name, env: opts.env ?? DEFAULT_ENV, dependsOn: [], serviceAccount: opts.serviceAccount, objects }],
  };
}

/**
 * A Kustomize folder or Helm chart: rendered by the tool, then read as plain YAML is, as
 * one app. A render failure is thrown at once (a LoadError carrying the RenderError).
 */
function loadRendered(
  checkout: string,
  layout: 'kustomize' | 'helm',
  opts: LoadOptions,
  problems: string[],
): LoadedManifests {
  const rel = (opts.path ?? '.').replace(/\/+$/, '') || '.';
  const name = appName(opts);
  const env = opts.env ?? DEFAULT_ENV;
  const settings = opts.render ?? {};
  let rendered: RenderedSource;
  try {
    rendered = renderSource({
      checkout,
      path: rel,
      layout,
      settings,
      app: name,
      namespace: opts.namespace ?? 'default',
    });
  } catch (e) {
    if (e instanceof RenderError) throw new LoadError(opts.revision, [e.message], e);
    // The binary is missing or unusable: the revision cannot be read here.
    if (e instanceof SynthopsError)
      throw new LoadError(opts.revision, [`${rel}: cannot render with ${layout}: ${e.message}`]);
    throw e;
  }
  const hooks = layout === 'helm' ? new HookFilter(settings.helm?.hooks) : undefined;
  const objects = parseObjects(
    rendered.text,
    `${layout === 'helm' ? 'helm template' : 'kustomize build'} ${rel}`,
    problems,
    'plain',
    { originOf: rendered.originOf, keep: hooks?.keep },
  );
  const refused = hooks?.error(rendered.renderedBy, rel);
  if (refused) throw new LoadError(opts.revision, [refused.message, ...problems], refused);
  if (objects.length === 0 && problems.length === 0) problems.push(`${rel}: ${layout} rendered no Kubernetes objects`);
  return {
    layout,
    env,
    renderedBy: rendered.renderedBy,
    warnings: [
      ...rendered.warnings.map((w) => `${rel}: ${rendered.renderedBy.tool}: ${w}`),
      ...(hooks?.warnings ?? []),
    ],
    apps: [{ name, env, dependsOn: [], serviceAccount: opts.serviceAccount, objects }],
  };
}

/** One warning per object that carries annotations of other tools synthops ignores. */
function foreignWarnings(loaded: LoadedManifests): string[] {
  return loaded.apps.flatMap((a) =>
    a.objects.flatMap((o) => foreignAnnotationWarning(o.manifest, o.origin, loaded.layout === 'helm') ?? []),
  );
}

/**
 * Reads the manifests of a checkout. With an index.json at `path` it is synthops
 * output (apps and objects from the index, every file's sha256 verified); with a
 * kustomization or a Chart.yaml, what `kustomize build` or `helm template` print is one
 * app; otherwise every *.yaml / *.yml below `path`, in byte order and read as kubectl
 * reads it, is one app (`opts.layout` can force any of these). Any render failure,
 * malformed document, object without identity, duplicate identity or hash mismatch
 * rejects the whole revision with a {@link LoadError} listing every problem.
 */
export function loadRevision(checkout: string, opts: LoadOptions): LoadedManifests {
  const root = path.resolve(checkout, opts.path ?? '.');
  if (!fs.existsSync(root) || !fs.statSync(root).isDirectory()) {
    throw new LoadError(opts.revision, [`${opts.path ?? '.'}: no such folder in the revision`]);
  }
  const detected = detectLayout(root, opts.layout);
  if ('problem' in detected) throw new LoadError(opts.revision, [`${opts.path ?? '.'}: ${detected.problem}`]);
  const problems: string[] = [];
  const { layout } = detected;
  const loaded =
    layout === 'synthops'
      ? loadSynthops(root, opts, problems)
      : layout === 'plain'
        ? loadPlain(root, opts, problems)
        : loadRendered(checkout, layout, opts, problems);
  checkDuplicates(loaded.apps, problems);
  if (problems.length > 0) throw new LoadError(opts.revision, problems);
  opts.cache?.commit();
  const { warnings: own, ...rest } = loaded;
  const warnings = [...(own ?? []), ...foreignWarnings(loaded)];
  return warnings.length > 0 ? { ...rest, warnings } : rest;
}
