import { SynthopsError } from '../../model/errors';
import { RenderError } from '../../render/run';

/** The Git source could not be fetched (unreachable remote, missing branch, bad credentials). */
export class SourceError extends SynthopsError {
  public readonly url: string;
  public readonly branch: string;

  constructor(url: string, branch: string, reason: string) {
    super(`git source ${url} (branch ${branch}): ${reason}`);
    this.url = url;
    this.branch = branch;
  }
}

/** The revision's manifests are unusable; the whole revision is rejected before any request to the cluster. */
export class LoadError extends SynthopsError {
  /** Every problem found, each naming file, document index and reason. */
  public readonly problems: readonly string[];
  /** The failed render, when kustomize or helm failed or was refused (its message is one of {@link problems}). @default - none: no render failed */
  public readonly render?: RenderError;

  constructor(revision: string, problems: readonly string[], render?: RenderError) {
    super(`revision ${revision.slice(0, 12)} rejected, nothing applied:\n  ${problems.join('\n  ')}`);
    this.problems = problems;
    this.render = render;
  }
}
