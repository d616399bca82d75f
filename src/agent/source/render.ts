/**
 * The render step of load: which layout a source folder has, and for Kustomize and Helm
 * folders the YAML stream the tool prints, with where each document came from. The
 * stream is then read exactly as plain YAML is (load.ts), so rendered objects get the
 * same checks, digest, dry-run, staged apply, inventory and prune.
 */
import * as fs from 'fs';
import * as path from 'path';
import { INDEX_FILE } from '../../model/index-file';
import { RenderCache } from '../../render/cache';
import { HelmSettings, helmTemplate, judgeHook } from '../../render/helm';
import { HelmRenderSettings, helmInputs, inputsDigest, kustomizeInputs } from '../../render/inputs';
import { KustomizeSettings, kustomizeBuild } from '../../render/kustomize';
import { KUSTOMIZATION_FILES, kustomizationFile } from '../../render/kustomize-check';
import { RenderError, RenderLimits, RenderedBy } from '../../render/run';
import { Tool, findTool } from '../../render/tools';

/**
 * How a folder is read: `synthops` output (index.json), `plain` YAML, a `kustomize`
 * folder (kustomization.yaml) or a `helm` chart (Chart.yaml).
 */
export type Layout = 'synthops' | 'plain' | 'kustomize' | 'helm';

/** A layout, or `auto`: detected from the files of the folder. */
export type LayoutChoice = 'auto' | Layout;

/** Every {@link LayoutChoice}, for flag validation. */
export const LAYOUT_CHOICES: readonly LayoutChoice[] = ['auto', 'synthops', 'plain', 'kustomize', 'helm'];

/** How a source's Kustomize and Helm folders are rendered. */
export interface RenderSettings {
  /** @default - no remote bases */
  readonly kustomize?: KustomizeSettings;
  /** @default - release named after the app, in the default namespace, the chart's values, hooks refused */
  readonly helm?: HelmSettings;
  /** @default - 60 s and 64 MiB per render */
  readonly limits?: RenderLimits;
}

/** The Helm chart file. */
export const CHART_FILE = 'Chart.yaml';

/** The layout of `root` for `choice`, or why it cannot be read that way. */
export function detectLayout(
  root: string,
  choice: LayoutChoice = 'auto',
): { readonly layout: Layout } | { readonly problem: string } {
  const has = (f: string) => fs.existsSync(path.join(root, f));
  const kustomization = kustomizationFile(root);
  const chart = has(CHART_FILE);
  if (choice === 'plain') return { layout: 'plain' };
  if (choice === 'synthops')
    return has(INDEX_FILE) ? { layout: 'synthops' } : { problem: `${INDEX_FILE}: missing, but the layout is synthops` };
  if (choice === 'kustomize')
    return kustomization
      ? { layout: 'kustomize' }
      : { problem: `${KUSTOMIZATION_FILES.join(', ')}: none in the folder, but the layout is kustomize` };
  if (choice === 'helm')
    return chart ? { layout: 'helm' } : { problem: `${CHART_FILE}: missing, but the layout is helm` };
  if (has(INDEX_FILE)) return { layout: 'synthops' };
  if (kustomization && chart) {
    return {
      problem: `${path.basename(kustomization)} and ${CHART_FILE}: the folder is both a Kustomize folder and a Helm chart; choose one with --layout kustomize or --layout helm`,
    };
  }
  if (kustomization) return { layout: 'kustomize' };
  if (chart) return { layout: 'helm' };
  return { layout: 'plain' };
}

/** What a render step hands to the parser. */
export interface RenderedSource {
  readonly text: string;
  readonly renderedBy: RenderedBy;
  /** The tool's own notices (stderr of a successful run). */
  readonly warnings: readonly string[];
  /** `file#document` of the document with index `index` starting at `line` of {@link text}. */
  readonly originOf: (index: number, line: number) => string;
}

/** Options of {@link renderSource}. */
export interface RenderSourceOptions {
  /** The repo checkout root. */
  readonly checkout: string;
  /** The source folder, relative to the checkout. */
  readonly path: string;
  readonly layout: 'kustomize' | 'helm';
  readonly settings: RenderSettings;
  /** The app name: Helm's default release name. */
  readonly app: string;
  /** Helm's default release namespace. */
  readonly namespace: string;
  /**
   * Where renders are kept by the digest of their inputs (folder content, tool version,
   * settings); `false` renders every time.
   * @default - {@link SHARED_RENDER_CACHE}
   */
  readonly cache?: RenderCache<RenderedSource> | false;
}

/**
 * The agent's renders of this process: a controller that polls many revisions renders
 * again only the folders whose inputs changed.
 */
export const SHARED_RENDER_CACHE = new RenderCache<RenderedSource>();

/** Renders a Kustomize or Helm folder; a failure is a {@link RenderError} (or a tool error when the binary is missing). */
export function renderSource(o: RenderSourceOptions): RenderedSource {
  const rel = o.path.replace(/\/+$/, '') || '.';
  const cache = o.cache ?? SHARED_RENDER_CACHE;
  const sizeOf = (r: RenderedSource) => r.text.length;
  // The limits are part of the key: a render kept under looser limits must not pass tighter ones.
  const keyOf = (digest: string | undefined) => digest && `${digest} ${JSON.stringify(o.settings.limits ?? {})}`;
  if (o.layout === 'kustomize') {
    const tool = findTool('kustomize');
    const kustomize = o.settings.kustomize ?? {};
    const render = (): RenderedSource => {
      const out = kustomizeBuild({
        repoRoot: o.checkout,
        path: rel,
        allowRemoteBases: kustomize.allowRemoteBases,
        limits: o.settings.limits,
        tool,
      });
      return { ...out, originOf: (index) => `kustomize build ${rel}#${index}` };
    };
    if (cache === false) return render();
    return cache.through(
      keyOf(inputsDigest(o.checkout, kustomizeInputs(o.checkout, rel, kustomize, tool))),
      render,
      sizeOf,
    );
  }
  const helm = o.settings.helm ?? {};
  const tool = findTool('helm');
  const settings = {
    releaseName: helm.releaseName ?? o.app,
    namespace: helm.namespace ?? o.namespace,
    valuesFiles: helm.valuesFiles,
    values: helm.values,
    set: helm.set,
  };
  const render = (): RenderedSource => renderHelm(o.checkout, rel, settings, o.settings.limits, tool);
  if (cache === false) return render();
  return cache.through(keyOf(inputsDigest(o.checkout, helmInputs(o.checkout, rel, settings, tool))), render, sizeOf);
}

function renderHelm(
  checkout: string,
  rel: string,
  settings: HelmRenderSettings,
  limits: RenderLimits | undefined,
  tool: Tool,
): RenderedSource {
  const out = helmTemplate({ repoRoot: checkout, path: rel, ...settings, limits, tool });
  return {
    ...out,
    // Documents are numbered per template file, as those of plain files are.
    originOf: (index, line) => {
      const source = out.sourceOf(line);
      return source ? `${source.file}#${source.doc}` : `helm template ${rel}#${index}`;
    },
  };
}

/** Collects the Helm hooks of a render while it is parsed (see judgeHook). */
export class HookFilter {
  public readonly refused: string[] = [];
  public readonly warnings: string[] = [];

  constructor(private readonly policy: HelmSettings['hooks'] = 'refuse') {}

  /** False for a hook object: it is not applied. */
  public keep = (object: unknown, origin: string): boolean => {
    const verdict = judgeHook(object, origin, this.policy ?? 'refuse');
    if (!verdict) return true;
    (verdict.action === 'refuse' ? this.refused : this.warnings).push(verdict.message);
    return false;
  };

  /** The refusal of the whole render, when it has hooks the source does not skip. */
  public error(renderedBy: RenderedBy, subject: string): RenderError | undefined {
    if (this.refused.length === 0) return undefined;
    const first = this.refused[0].slice(0, this.refused[0].indexOf('#'));
    return new RenderError(
      { name: 'helm', version: renderedBy.version, path: renderedBy.path },
      'refused',
      subject,
      this.refused.join('\n'),
      { file: first },
      'helm-hook',
    );
  }
}
