import { ApiObject } from 'cdk8s';
import { Construct } from 'constructs';
import * as path from 'path';
import * as YAML from 'yaml';
import { HelmHookPolicy, helmTemplate, judgeHook } from '../render/helm';
import { helmInputs } from '../render/inputs';
import { reportRenderInputs } from '../render/report';
import { RenderLimits, RenderedBy } from '../render/run';
import { findTool } from '../render/tools';
import { Application } from './application';
import { addRenderedObjects } from './rendered-objects';

/** Properties of a {@link HelmChart}. */
export interface HelmChartProps {
  /** The chart folder (with Chart.yaml), relative to the config repo root. Dependencies must be vendored in its `charts/`. */
  readonly path: string;
  /**
   * Release name (`.Release.Name`).
   * @default - the app name
   */
  readonly releaseName?: string;
  /**
   * Release namespace (`.Release.Namespace`); objects the chart gives no namespace get the app's.
   * @default - the app's namespace
   */
  readonly namespace?: string;
  /**
   * Values files, relative to the config repo root, in order (later wins); inside the repo.
   * @default - none: the chart's own values.yaml only
   */
  readonly valuesFiles?: readonly string[];
  /**
   * Values, applied after the values files.
   * @default - none
   */
  readonly values?: Readonly<Record<string, unknown>>;
  /**
   * What to do with Helm hooks: `refuse` (synth fails, naming them) or `skip` them.
   * @default 'refuse'
   */
  readonly hooks?: HelmHookPolicy;
  /** @default - 60 s and 64 MiB of output */
  readonly limits?: RenderLimits;
}

/**
 * The objects `helm template` prints for a chart of the config repo, rendered at synth
 * time with the pinned helm (`npm run tools:build`, or SYNTHOPS_HELM) and the agent's
 * safety: an isolated helm home (no repositories, registries, plugins or kubeconfig),
 * chart files and values only from the repo, time and size limits, hooks refused unless
 * skipped. Each object is an ApiObject of the app: it gets the app's namespace and
 * labels and synth's checks, and the deploy branch gets plain YAML.
 *
 * The chart folder (whole, vendored dependencies included), the values files and the
 * helm version are inputs of the synth cache: an unchanged chart is not rendered again.
 *
 * @example
 * new HelmChart(app, 'redis', { path: 'charts/redis', values: { replicas: 2 } });
 */
export class HelmChart extends Construct {
  /** The chart folder, relative to the config repo root, "/" separated. */
  public readonly path: string;
  /** Which helm rendered it. */
  public readonly renderedBy: RenderedBy;
  /** What helm printed on stderr while succeeding, and one line per skipped hook. */
  public readonly warnings: readonly string[];
  /** The rendered objects, in helm's order. */
  public readonly apiObjects: readonly ApiObject[];

  constructor(scope: Construct, id: string, props: HelmChartProps) {
    super(scope, id);
    const app = Application.of(scope);
    const root = app.configRoot;
    this.path = path.relative(root, path.resolve(root, props.path)).split(path.sep).join('/') || '.';
    const tool = findTool('helm');
    const settings = {
      releaseName: props.releaseName ?? app.appName,
      namespace: props.namespace ?? app.appNamespace,
      valuesFiles: (props.valuesFiles ?? []).map((f) => path.resolve(root, f)),
      values: props.values ? YAML.stringify(props.values) : undefined,
    };
    reportRenderInputs(helmInputs(root, this.path, settings, tool));
    const out = helmTemplate({ repoRoot: root, path: this.path, ...settings, limits: props.limits, tool });
    const refused: string[] = [];
    const skipped: string[] = [];
    const keep = (object: unknown, origin: string): boolean => {
      const verdict = judgeHook(object, origin, props.hooks ?? 'refuse');
      if (!verdict) return true;
      (verdict.action === 'refuse' ? refused : skipped).push(verdict.message);
      return false;
    };
    const originOf = (index: number, line: number) => {
      const s = out.sourceOf(line);
      return s ? `${s.file}#${s.doc}` : `helm template ${this.path}#${index}`;
    };
    const objects = addRenderedObjects(this, out.text, `helm template ${this.path}`, originOf, keep);
    if (refused.length > 0) throw new Error(refused.join('\n'));
    this.renderedBy = out.renderedBy;
    this.warnings = [...out.warnings, ...skipped];
    this.apiObjects = objects;
  }
}
