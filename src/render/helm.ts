/**
 * `helm template` of a chart folder of the repo checkout, with the release name,
 * namespace and values the source gives. Helm's state is isolated: its cache, config and
 * data folders (repositories, registry logins, plugins) are a fresh temporary folder, and
 * no kubeconfig is visible, so a render reaches no repository, registry or cluster.
 * Chart dependencies must be vendored in the chart's `charts/` folder: synthops never
 * runs `helm dependency build` (helm refuses a chart whose dependencies are missing).
 * CRDs of the chart's `crds/` folder are rendered too (`--include-crds`): the agent
 * applies CRDs first.
 *
 * Hooks are never dropped silently: `helm template` prints hook objects with the
 * others, and {@link judgeHook} refuses them (the default) or, when the source
 * says `helm.hooks: skip`, leaves them out with a warning per object.
 */
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import * as YAML from 'yaml';
import { RepoRoot } from './confine';
import { RenderError, RenderLimits, RenderLocation, RenderOutput, runTool, stderrWarnings } from './run';
import { Tool, findTool } from './tools';

/** What to do with Helm hooks: `refuse` the revision, or `skip` them (each skipped hook is a warning). */
export type HelmHookPolicy = 'refuse' | 'skip';

/** Settings of a helm source. */
export interface HelmSettings {
  /**
   * Release name (`.Release.Name`).
   * @default - the app name
   */
  readonly releaseName?: string;
  /**
   * Release namespace (`.Release.Namespace`).
   * @default - the namespace objects without one are applied to (the agent's --namespace)
   */
  readonly namespace?: string;
  /**
   * Values files, relative to the chart folder and inside the repo, in order (later wins).
   * @default - none: the chart's own values.yaml only
   */
  readonly valuesFiles?: readonly string[];
  /**
   * Values as a YAML string, applied after the values files.
   * @default - none
   */
  readonly values?: string;
  /**
   * `key=value` pairs, as `helm --set` takes them; they win over every file.
   * @default - none
   */
  readonly set?: readonly string[];
  /** @default 'refuse' */
  readonly hooks?: HelmHookPolicy;
}

/** Options of {@link helmTemplate}. */
export interface HelmTemplateOptions extends Omit<HelmSettings, 'hooks' | 'releaseName' | 'namespace'> {
  /** The repo checkout: nothing outside it is read. */
  readonly repoRoot: string;
  /** The chart folder (with Chart.yaml), relative to {@link repoRoot}. */
  readonly path: string;
  readonly releaseName: string;
  readonly namespace: string;
  /** @default - {@link DEFAULT_RENDER_TIMEOUT_MS} and {@link DEFAULT_RENDER_MAX_OUTPUT_BYTES} */
  readonly limits?: RenderLimits;
  /** @default - findTool('helm') */
  readonly tool?: Tool;
}

/** The template a document was rendered from. */
export interface HelmSource {
  /** The template file, relative to the repo root. */
  readonly file: string;
  /** The document's index among those rendered from {@link file}, from 0. */
  readonly doc: number;
}

/** What `helm template` produced, and where each document of it came from. */
export interface HelmOutput extends RenderOutput {
  /** The template a document of {@link text} (by a line inside it) was rendered from (helm's `# Source:` comments). */
  readonly sourceOf: (line: number) => HelmSource | undefined;
}

type HelmTool = Tool & { readonly name: 'helm' };

/** Renders the chart at `path`; a refusal or a failing render is a {@link RenderError}. */
export function helmTemplate(o: HelmTemplateOptions): HelmOutput {
  const tool: HelmTool = { ...(o.tool ?? findTool('helm')), name: 'helm' };
  const root = new RepoRoot(o.repoRoot);
  const chartDir = path.resolve(o.repoRoot, o.path);
  const chartRel = root.relative(chartDir);
  const chartName = chartNameOf(chartDir);
  const valuesFiles = (o.valuesFiles ?? []).map((f) => path.resolve(chartDir, f));
  const refusals = [
    ...valuesFiles.flatMap((f, i) => placementRefusal(root, f, `values file "${o.valuesFiles![i]}"`)),
    ...symlinkRefusals(root, chartDir),
  ];
  if (refusals.length > 0)
    throw new RenderError(
      tool,
      'refused',
      chartRel,
      refusals.map((r) => r.message).join('\n'),
      { file: refusals[0].file },
      'outside-repo',
    );

  const home = fs.mkdtempSync(path.join(os.tmpdir(), 'synthops-helm-'));
  try {
    // `--flag=value` and `--` before the positionals: no value can be read as a flag.
    const args = ['template', `--namespace=${o.namespace}`, '--include-crds'];
    for (const f of valuesFiles) args.push(`--values=${f}`);
    if (o.values !== undefined && o.values.trim() !== '') {
      const inline = path.join(home, 'inline-values.yaml');
      fs.writeFileSync(inline, o.values);
      args.push(`--values=${inline}`);
    }
    for (const s of o.set ?? []) args.push(`--set=${s}`);
    args.push('--', o.releaseName, chartDir);
    const { stdout, stderr } = runTool({
      tool,
      args,
      cwd: chartDir,
      subject: chartRel,
      home,
      env: helmEnvironment(home),
      limits: o.limits,
      locate: (message) => locateHelmError(message, root, chartDir, chartName),
    });
    return {
      text: stdout,
      renderedBy: { tool: tool.name, version: tool.version, path: tool.path },
      warnings: stderrWarnings(stderr),
      sourceOf: sourceIndex(stdout, chartName, chartRel),
    };
  } finally {
    fs.rmSync(home, { recursive: true, force: true });
  }
}

/** Helm's folders and files, all inside `home`; KUBECONFIG names a file that does not exist. */
export function helmEnvironment(home: string): Record<string, string> {
  return {
    HELM_CACHE_HOME: path.join(home, 'cache'),
    HELM_CONFIG_HOME: path.join(home, 'config'),
    HELM_DATA_HOME: path.join(home, 'data'),
    HELM_PLUGINS: path.join(home, 'data', 'plugins'),
    HELM_REGISTRY_CONFIG: path.join(home, 'config', 'registry', 'config.json'),
    HELM_REPOSITORY_CONFIG: path.join(home, 'config', 'repositories.yaml'),
    HELM_REPOSITORY_CACHE: path.join(home, 'cache', 'repository'),
    KUBECONFIG: path.join(home, 'no-kubeconfig'),
  };
}

/** The chart's `name` from Chart.yaml (helm prefixes template paths with it); the folder name if unreadable. */
function chartNameOf(chartDir: string): string {
  try {
    const name = (YAML.parse(fs.readFileSync(path.join(chartDir, 'Chart.yaml'), 'utf8')) as { name?: unknown } | null)
      ?.name;
    if (typeof name === 'string' && name) return name;
  } catch {
    // helm reports a broken Chart.yaml itself, with its line
  }
  return path.basename(chartDir);
}

interface PathRefusal {
  readonly file: string;
  readonly message: string;
}

function placementRefusal(root: RepoRoot, file: string, what: string): PathRefusal[] {
  const place = root.place(file);
  if (place === 'outside')
    return [
      {
        file: root.relative(file),
        message: `${what} resolves outside the repo checkout: a chart may only use values files of its own repository`,
      },
    ];
  if (place === 'git-dir')
    return [
      {
        file: root.relative(file),
        message: `${what} is inside the repo's .git folder, which is not part of the revision`,
      },
    ];
  return [];
}

/** Symlinks in the chart that lead out of the repo: helm follows them, so `.Files` could read the agent's disk. */
function symlinkRefusals(root: RepoRoot, dir: string): PathRefusal[] {
  const out: PathRefusal[] = [];
  const walk = (d: string) => {
    for (const e of fs.readdirSync(d, { withFileTypes: true })) {
      const p = path.join(d, e.name);
      if (e.isSymbolicLink()) out.push(...placementRefusal(root, p, `symlink ${root.relative(p)}`));
      else if (e.isDirectory()) walk(p);
    }
  };
  walk(dir);
  return out;
}

/** Maps a path as helm prints it (`<chart name>/templates/x.yaml`) to the repo file. */
function repoPathOf(helmPath: string, chartName: string, chartRel: string): string {
  const rest = helmPath.slice(chartName.length + 1);
  return chartRel === '.' ? rest : `${chartRel}/${rest}`;
}

/**
 * The file (and line) a helm error is about. helm names template files as
 * `<chart>/templates/x.yaml:LINE[:COL]`, values and chart files as
 * `cannot load values.yaml` or by the path it was given, and YAML lines as `yaml: line N`.
 */
export function locateHelmError(message: string, root: RepoRoot, chartDir: string, chartName: string): RenderLocation {
  const chartRel = root.relative(chartDir);
  const yamlLine = /yaml: line (\d+)/.exec(message);
  const escaped = root.dir.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
  const absolute = new RegExp(`(${escaped}/[^\\s:'"()]+)`).exec(message);
  if (absolute) return { file: root.relative(absolute[1]), line: yamlLine ? Number(yamlLine[1]) : undefined };
  const load = /cannot load ([^\s:]+)/.exec(message);
  if (load)
    return { file: root.relative(path.join(chartDir, load[1])), line: yamlLine ? Number(yamlLine[1]) : undefined };
  const name = chartName.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
  const template = new RegExp(`(?:^|[\\s(<"'])(${name}/[^\\s:()'"]+)(?::(\\d+))?`).exec(message);
  if (template)
    return { file: repoPathOf(template[1], chartName, chartRel), line: template[2] ? Number(template[2]) : undefined };
  return {};
}

/**
 * For each document of helm's output (by a line of it), the repo file it was rendered
 * from and its index among that file's documents: helm starts every document with `---`
 * and a `# Source: <chart>/templates/x.yaml` comment.
 */
function sourceIndex(text: string, chartName: string, chartRel: string): (line: number) => HelmSource | undefined {
  // Per document (from its `---` line): the first `# Source:` comment before the next `---`.
  const starts: { line: number; source?: HelmSource }[] = [{ line: 0 }];
  const counts = new Map<string, number>();
  text.split('\n').forEach((l, i) => {
    if (/^---/.test(l)) {
      starts.push({ line: i + 1 });
      return;
    }
    const m = /^# Source: (.+?)\s*$/.exec(l);
    const current = starts[starts.length - 1];
    if (!m || current.source) return;
    const file = m[1].startsWith(`${chartName}/`) ? repoPathOf(m[1], chartName, chartRel) : m[1];
    const doc = counts.get(file) ?? 0;
    counts.set(file, doc + 1);
    current.source = { file, doc };
  });
  return (line) => {
    let found: HelmSource | undefined;
    for (const s of starts) {
      if (s.line > line) break;
      found = s.source;
    }
    return found;
  };
}

/** The hook events of an object (`helm.sh/hook: pre-install,pre-upgrade`), or undefined for an ordinary object. */
export function helmHookOf(object: unknown): string[] | undefined {
  const v = (object as { metadata?: { annotations?: Record<string, unknown> } } | null)?.metadata?.annotations?.[
    'helm.sh/hook'
  ];
  return typeof v === 'string'
    ? v
        .split(',')
        .map((s) => s.trim())
        .filter(Boolean)
    : undefined;
}

/** What happens to a hook object: `refuse` the revision (with why), or `skip` it (with a warning). */
export interface HookVerdict {
  readonly action: HelmHookPolicy;
  readonly message: string;
}

/**
 * The verdict on one rendered object, undefined when it is no hook. Helm hooks are
 * one-off actions of `helm install/upgrade/rollback/delete/test`, ordered by weight and
 * removed by delete policy; a pull agent that applies the same objects on every
 * reconcile cannot run them as Helm does, so they are refused, or left out when the
 * source says `skip`. Judged before the object's identity is checked: hooks often have
 * only a generateName.
 */
export function judgeHook(object: unknown, origin: string, policy: HelmHookPolicy): HookVerdict | undefined {
  const events = helmHookOf(object);
  if (!events) return undefined;
  const m = object as { kind?: unknown; metadata?: { name?: unknown; generateName?: unknown; namespace?: unknown } };
  const name =
    typeof m.metadata?.name === 'string' ? m.metadata.name : `${String(m.metadata?.generateName ?? '')}<generated>`;
  const ns = typeof m.metadata?.namespace === 'string' ? `${m.metadata.namespace}/` : '';
  const what = `${origin}: ${String(m.kind)} ${ns}${name} is a Helm hook (helm.sh/hook: ${events.join(',')})`;
  if (policy === 'skip') return { action: 'skip', message: `${what}: skipped, not applied (helm.hooks: skip)` };
  return {
    action: 'refuse',
    message:
      `${what}: synthops does not run Helm hooks (one-off actions of helm install/upgrade/rollback/delete/test, with weights and delete policies a pull agent cannot honour). ` +
      'Render the chart without its hooks with the source setting helm.hooks: skip (--helm-hooks skip), or remove the annotation to apply the object as an ordinary resource.',
  };
}
