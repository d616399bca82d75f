/**
 * What synthops refuses in a kustomization before kustomize runs, file and line named:
 *
 * - remote bases and files (`resources: [https://github.com/...]`, `git::`, `gh:`,
 *   `github.com/org/repo//path`, a patch at an `https://` URL), unless the source allows
 *   them: kustomize would fetch them at render time, unpinned and unreviewed;
 * - paths that resolve outside the repo checkout or into its `.git` folder. kustomize's
 *   own `LoadRestrictionsRootOnly` keeps files (patches, generator inputs) below their
 *   kustomization's folder but loads bases from anywhere on disk; this keeps bases in
 *   the same repository;
 * - generators, transformers and validators that are not kustomize built-ins: KRM
 *   functions (exec, container, starlark) and legacy plugins run code of the repo's
 *   choosing. kustomize runs without plugins too (`--enable-alpha-plugins`, `--enable-exec`
 *   off), so this only gives a clearer message;
 * - `helmCharts`: the chart inflator needs `--enable-helm` and downloads charts; use the
 *   helm layout for charts.
 *
 * Everything else (syntax, unknown fields, missing files) is left to kustomize, whose
 * message is passed on whole. A kustomization that is not valid YAML is not checked
 * further: kustomize refuses it anyway.
 */
import * as fs from 'fs';
import * as path from 'path';
import * as YAML from 'yaml';
import { RepoRoot } from './confine';
import { RenderRefusal } from './run';

/** What kustomize-check refuses (see {@link RenderRefusal}). */
export type KustomizeRefusalKind = Exclude<RenderRefusal, 'helm-hook'>;

/** One refused reference. */
export interface KustomizeRefusal {
  readonly kind: KustomizeRefusalKind;
  /** The file that holds it, relative to the repo root. */
  readonly file: string;
  /** Line in {@link file}, from 1. @default - the file as a whole */
  readonly line?: number;
  readonly message: string;
}

/** Options of {@link checkKustomization}. */
export interface KustomizeCheckOptions {
  /**
   * Remote bases and files are allowed (and not checked further).
   * @default false
   */
  readonly allowRemoteBases?: boolean;
}

/** The names kustomize looks for, in its order. */
export const KUSTOMIZATION_FILES = ['kustomization.yaml', 'kustomization.yml', 'Kustomization'] as const;

/** The kustomization file of a folder, if it has one. */
export function kustomizationFile(dir: string): string | undefined {
  for (const name of KUSTOMIZATION_FILES) {
    const p = path.join(dir, name);
    if (fs.existsSync(p) && fs.statSync(p).isFile()) return p;
  }
  return undefined;
}

// Fields whose entries are kustomizations (folders) or resource files; they may be Git URLs.
const TARGET_FIELDS = ['resources', 'bases', 'components'];
// Fields whose entries are plugin configs (inline, a file, or a folder of configs).
const PLUGIN_FIELDS = ['generators', 'transformers', 'validators'];
// Fields kustomize reads files from (which it also fetches over http(s)): [field, key inside an entry].
const FILE_FIELDS: readonly (readonly [string, string?])[] = [
  ['patches', 'path'],
  ['patchesJson6902', 'path'],
  ['patchesStrategicMerge'],
  ['replacements', 'path'],
  ['crds'],
  ['configurations'],
  ['openapi', 'path'],
];
const GENERATOR_FIELDS = ['configMapGenerator', 'secretGenerator'];
const HELM_FIELDS = ['helmCharts', 'helmGlobals', 'helmChartInflationGenerator'];

/** A URL kustomize would fetch: any `scheme://`, or (for bases) one of its Git forms. */
export function isRemoteReference(value: string, gitForms: boolean, existsLocally: boolean): boolean {
  if (/^[a-zA-Z][a-zA-Z0-9+.-]*:\/\//.test(value)) return true;
  if (!gitForms) return false;
  if (/^git::/.test(value) || /^gh:/.test(value) || /^[\w.-]+@[\w.-]+:/.test(value)) return true;
  // `github.com/org/repo//path?ref=v1`: kustomize tries a path that is not on disk as a
  // Git URL when its first segment is a host name.
  const first = value.split('/')[0];
  return !existsLocally && value.includes('/') && first.includes('.') && first !== '.' && first !== '..';
}

/** Every refused reference of the kustomization in `dir` and of the bases it reaches in the repo. */
export function checkKustomization(
  root: RepoRoot,
  dir: string,
  options: KustomizeCheckOptions = {},
): KustomizeRefusal[] {
  return walkKustomizations(root, dir, options).refusals;
}

/** What {@link walkKustomizations} found. */
export interface KustomizationWalk {
  readonly refusals: KustomizeRefusal[];
  /** Every folder with a kustomization the build reaches in the repo (`dir` first), symlinks resolved. */
  readonly folders: string[];
}

/** Checks the kustomization in `dir` and the bases it reaches in the repo, and lists their folders. */
export function walkKustomizations(
  root: RepoRoot,
  dir: string,
  options: KustomizeCheckOptions = {},
): KustomizationWalk {
  const refusals: KustomizeRefusal[] = [];
  const folders: string[] = [];
  const seen = new Set<string>();
  // Breadth first: a kustomization's own refusals come before those of its bases.
  const queue = [dir];
  for (let folder = queue.shift(); folder !== undefined; folder = queue.shift()) {
    let real: string;
    try {
      real = fs.realpathSync(folder);
    } catch {
      continue;
    }
    if (seen.has(real)) continue;
    seen.add(real);
    const file = kustomizationFile(folder);
    if (file) {
      folders.push(real);
      checkFile(root, folder, file, options, refusals, (f) => queue.push(f));
    }
  }
  return { refusals, folders };
}

type Visit = (folder: string) => void;

function checkFile(
  root: RepoRoot,
  dir: string,
  file: string,
  options: KustomizeCheckOptions,
  out: KustomizeRefusal[],
  visit: Visit,
): void {
  const lines = new YAML.LineCounter();
  const doc = YAML.parseDocument(fs.readFileSync(file, 'utf8'), { lineCounter: lines, uniqueKeys: false });
  if (doc.errors.length > 0 || !YAML.isMap(doc.contents)) return;
  const rel = root.relative(file);
  const lineOf = (node: unknown): number | undefined => {
    const range = (node as { range?: [number, number, number] } | undefined)?.range;
    return range ? lines.linePos(range[0]).line : undefined;
  };
  const refuse = (kind: KustomizeRefusalKind, node: unknown, message: string) =>
    out.push({ kind, file: rel, line: lineOf(node), message });
  const map = doc.contents;
  const items = (field: string): YAML.Node[] => {
    const v = map.get(field, true);
    return YAML.isSeq(v) ? v.items.filter(YAML.isNode) : v !== undefined && YAML.isNode(v) ? [v] : [];
  };
  const strings = (nodes: YAML.Node[]): YAML.Scalar<string>[] =>
    nodes.filter((n): n is YAML.Scalar<string> => YAML.isScalar(n) && typeof n.value === 'string');

  /** Checks one path or URL; returns the local path when it is inside the repo. */
  const reference = (raw: string, node: unknown, field: string, gitForms: boolean): string | undefined => {
    const value = raw.trim();
    const local = path.resolve(dir, value);
    if (isRemoteReference(value, gitForms, fs.existsSync(local))) {
      if (!options.allowRemoteBases) {
        refuse(
          'remote',
          node,
          `remote ${gitForms ? 'base' : 'file'} "${value}" in ${field}: this source does not allow remote bases (kustomize would fetch them at render time, unpinned and unreviewed); vendor it into the repo, or allow remote bases for this source (--allow-remote-bases)`,
        );
      }
      return undefined;
    }
    const place = root.place(local);
    if (place === 'outside')
      refuse(
        'outside-repo',
        node,
        `"${value}" in ${field} resolves outside the repo checkout: a kustomization may only use files and bases of its own repository`,
      );
    else if (place === 'git-dir')
      refuse(
        'outside-repo',
        node,
        `"${value}" in ${field} is inside the repo's .git folder, which is not part of the revision`,
      );
    return place === 'inside' ? local : undefined;
  };

  for (const field of TARGET_FIELDS) {
    for (const node of strings(items(field))) {
      const local = reference(node.value, node, field, true);
      if (local && fs.statSync(local).isDirectory()) visit(local);
    }
  }
  for (const field of PLUGIN_FIELDS) {
    for (const node of items(field)) {
      if (YAML.isScalar(node) && typeof node.value === 'string' && !node.value.includes('\n')) {
        const local = reference(node.value, node, field, true);
        if (!local) continue;
        if (fs.statSync(local).isDirectory()) visit(local);
        else checkPluginConfigs(fs.readFileSync(local, 'utf8'), root.relative(local), field, out);
      } else {
        // An inline config: a YAML string or a map in the list.
        const configs = YAML.isScalar(node) ? parseConfigs(String(node.value)) : [node.toJSON()];
        for (const config of configs) for (const r of refusalsOf(config, field)) refuse('plugin', node, r);
      }
    }
  }
  for (const [field, key] of FILE_FIELDS) {
    for (const node of items(field)) {
      const target = key ? (YAML.isMap(node) ? node.get(key, true) : undefined) : node;
      // Inline patches (a YAML string with a newline) are no reference.
      if (YAML.isScalar(target) && typeof target.value === 'string' && !target.value.includes('\n'))
        reference(target.value, target, key ? `${field} ${key}` : field, false);
    }
  }
  for (const field of GENERATOR_FIELDS) {
    for (const gen of items(field)) {
      if (!YAML.isMap(gen)) continue;
      for (const key of ['files', 'envs', 'env']) {
        const v = gen.get(key, true);
        const nodes = YAML.isSeq(v) ? v.items : [v];
        for (const n of nodes) {
          if (!YAML.isScalar(n) || typeof n.value !== 'string') continue;
          // `files` entries may be `key=path`.
          const value = key === 'files' && n.value.includes('=') ? n.value.slice(n.value.indexOf('=') + 1) : n.value;
          reference(value, n, `${field} ${key}`, false);
        }
      }
    }
  }
  for (const field of HELM_FIELDS) {
    const node = map.get(field, true);
    if (node !== undefined) {
      refuse(
        'helm-inflator',
        map.items.find((p) => YAML.isScalar(p.key) && p.key.value === field)?.key ?? node,
        `${field}: kustomize's chart inflator needs --enable-helm and downloads charts, which synthops does not allow; render the chart with the helm layout (a source folder with Chart.yaml)`,
      );
    }
  }
}

function checkPluginConfigs(text: string, file: string, field: string, out: KustomizeRefusal[]): void {
  const lines = new YAML.LineCounter();
  for (const doc of YAML.parseAllDocuments(text, { lineCounter: lines, uniqueKeys: false })) {
    if (doc.errors.length > 0 || !YAML.isMap(doc.contents)) continue;
    const line = doc.contents.range ? lines.linePos(doc.contents.range[0]).line : undefined;
    for (const message of refusalsOf(doc.toJSON(), field)) out.push({ kind: 'plugin', file, line, message });
  }
}

function parseConfigs(text: string): unknown[] {
  return YAML.parseAllDocuments(text, { uniqueKeys: false }).flatMap((d) =>
    d.errors.length > 0 ? [] : [d.toJSON() as unknown],
  );
}

/** Why a plugin config is refused: anything but a kustomize built-in (`apiVersion: builtin`). */
function refusalsOf(config: unknown, field: string): string[] {
  if (typeof config !== 'object' || config === null || Array.isArray(config)) return [];
  const c = config as {
    apiVersion?: unknown;
    kind?: unknown;
    metadata?: { name?: unknown; annotations?: Record<string, unknown> };
  };
  const what = `${String(c.apiVersion ?? '?')} ${String(c.kind ?? '?')}${c.metadata?.name ? ` ${String(c.metadata.name)}` : ''}`;
  const annotations = c.metadata?.annotations ?? {};
  const fn = annotations['config.kubernetes.io/function'] ?? annotations['config.k8s.io/function'];
  const tail =
    'synthops runs kustomize without plugins (no --enable-alpha-plugins, no --enable-exec), as Flux does: use built-in generators and transformers, or render in CI and commit the output';
  if (fn !== undefined) {
    const spec = typeof fn === 'string' ? parseConfigs(fn)[0] : fn;
    const runtime =
      ['exec', 'container', 'starlark'].find((k) => spec && typeof spec === 'object' && k in spec) ?? 'function';
    return [`${field}: ${what} is a KRM ${runtime} function (config.kubernetes.io/function): ${tail}`];
  }
  if (c.apiVersion !== 'builtin')
    return [`${field}: ${what} is an external kustomize plugin (not apiVersion: builtin): ${tail}`];
  return [];
}
