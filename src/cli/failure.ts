import { KubeApiError, KubeUnreachableError, KubeconfigError, UnknownKindError } from '../kube/errors';
import { SynthopsError } from '../model/errors';

/** How the CLI reports a failure: one line (what happened and what to do) and the exit code. */
export interface Failure {
  readonly line: string;
  readonly exitCode: number;
}

/** What to do about an expected failure, decided on its type and status, never its text. @default - none: the message says it all */
function hint(e: SynthopsError): string | undefined {
  if (e instanceof KubeUnreachableError)
    return 'check that the cluster is running and that --kubeconfig (or KUBECONFIG) points at it';
  if (e instanceof KubeconfigError) return 'pass --kubeconfig FILE or set KUBECONFIG';
  if (e instanceof UnknownKindError) return 'install its CustomResourceDefinition first, or fix the apiVersion/kind';
  if (e instanceof KubeApiError) {
    if (e.status === 401)
      return 'the apiserver refused the credentials of the kubeconfig (expired token or certificate?): log in again or pass another --kubeconfig';
    if (e.status === 403) return "the kubeconfig's user lacks the RBAC rights for this (see `kubectl auth can-i`)";
    if (e.status === 404)
      return 'it does not exist: check the names, --agent-namespace and the server URL of the kubeconfig; if a whole kind is missing, its CustomResourceDefinition is not installed (has the agent run yet?)';
  }
  return undefined;
}

/**
 * The line for a failure. Errors synthops raises on purpose (the {@link SynthopsError}
 * family, the Kubernetes API's among them) are their message plus what to do; anything
 * else is a bug, reported as such. Never a stack trace: `SYNTHOPS_DEBUG=1` adds it.
 */
export function describeFailure(e: unknown): Failure {
  if (e instanceof SynthopsError) {
    const h = hint(e);
    const status = e instanceof KubeApiError ? ` (HTTP ${e.status} ${e.reason})` : '';
    return { line: `error: ${e.message}${status}${h ? `; ${h}` : ''}`, exitCode: e.exitCode };
  }
  const message = e instanceof Error ? e.message : String(e);
  return {
    line: `error: ${message} (unexpected: run again with SYNTHOPS_DEBUG=1 for the stack trace, and report it)`,
    exitCode: 1,
  };
}
