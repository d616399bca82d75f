import { ApiObject } from 'cdk8s';
import { Construct } from 'constructs';
import * as path from 'path';
import { kustomizeInputs } from '../render/inputs';
import { kustomizeBuild } from '../render/kustomize';
import { reportRenderInputs } from '../render/report';
import { RenderLimits, RenderedBy } from '../render/run';
import { findTool } from '../render/tools';
import { Application } from './application';
import { addRenderedObjects } from './rendered-objects';

/** Properties of a {@link Kustomization}. */
export interface KustomizationProps {
  /** The folder with the kustomization.yaml, relative to the config repo root, e.g. `apps/shop/kustomize/overlays/prod`. */
  readonly path: string;
  /** @default - 60 s and 64 MiB of output */
  readonly limits?: RenderLimits;
}

/**
 * The objects `kustomize build` prints for a folder of the config repo, rendered at
 * synth time with the pinned kustomize (`npm run tools:build`, or SYNTHOPS_KUSTOMIZE)
 * and the agent's safety: no plugins or exec functions, no remote bases, files only
 * below their kustomization, bases only from the repo, time and size limits. The deploy
 * branch gets plain YAML (the rendered-manifests pattern), and each object is an
 * ApiObject of the app: it gets the app's namespace and labels and synth's checks.
 *
 * Every folder the build reaches (the kustomization's and its bases', whole) and the
 * kustomize version are inputs of the synth cache: an unchanged folder is not rendered
 * again.
 *
 * @example
 * new Kustomization(app, 'legacy', { path: 'apps/legacy/overlays/prod' });
 */
export class Kustomization extends Construct {
  /** The folder, relative to the config repo root, "/" separated. */
  public readonly path: string;
  /** Which kustomize rendered it. */
  public readonly renderedBy: RenderedBy;
  /** What kustomize printed on stderr while succeeding, one entry per line. */
  public readonly warnings: readonly string[];
  /** The rendered objects, in kustomize's order. */
  public readonly apiObjects: readonly ApiObject[];

  constructor(scope: Construct, id: string, props: KustomizationProps) {
    super(scope, id);
    const root = Application.of(scope).configRoot;
    this.path = path.relative(root, path.resolve(root, props.path)).split(path.sep).join('/') || '.';
    const tool = findTool('kustomize');
    reportRenderInputs(kustomizeInputs(root, this.path, {}, tool));
    const out = kustomizeBuild({ repoRoot: root, path: this.path, limits: props.limits, tool });
    this.renderedBy = out.renderedBy;
    this.warnings = out.warnings;
    this.apiObjects = addRenderedObjects(
      this,
      out.text,
      `kustomize build ${this.path}`,
      (i) => `kustomize build ${this.path}#${i}`,
    );
  }
}
