import { SynthopsError } from '../errors';

/** The Git source could not be fetched (unreachable remote, missing branch, bad credentials). */
export class SourceError extends SynthopsError {
  constructor(url: string, branch: string, reason: string) {
    super(`git source ${url} (branch ${branch}): ${reason}`);
  }
}

/** The revision's manifests are unusable; the whole revision is rejected before any request to the cluster. */
export class LoadError extends SynthopsError {
  /** Every problem found, each naming file, document index and reason. */
  public readonly problems: readonly string[];

  constructor(revision: string, problems: readonly string[]) {
    super(`revision ${revision.slice(0, 12)} rejected, nothing applied:\n  ${problems.join('\n  ')}`);
    this.problems = problems;
  }
}

/** An error answer of the Kubernetes API, with the apiserver's own message. */
export class KubeApiError extends Error {
  public readonly status: number;
  public readonly reason: string;

  constructor(status: number, reason: string, message: string) {
    super(message);
    this.name = 'KubeApiError';
    this.status = status;
    this.reason = reason;
  }
}

/** The API has no resource for an apiVersion/kind (unknown kind, or its CRD is not installed). */
export class UnknownKindError extends Error {
  constructor(apiVersion: string, kind: string) {
    super(`the API has no kind ${kind} in ${apiVersion} (unknown kind, or its CustomResourceDefinition is not installed)`);
    this.name = 'UnknownKindError';
  }
}

/** A kubeconfig (or the in-cluster ServiceAccount files) is missing, malformed or incomplete. */
export class KubeconfigError extends SynthopsError {
  /** What was read: `kubeconfig <file>`, or `in-cluster config <dir>`. */
  public readonly source: string;

  constructor(source: string, message: string) {
    super(`${source}: ${message}`);
    this.source = source;
  }
}
