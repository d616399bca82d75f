import { KubeApiError } from '../kube/errors';

/** A resource the UI reads, named the way RBAC names it. */
export interface ResourceName {
  /** Plural resource, e.g. `appsyncs`. */
  readonly resource: string;
  /** API group; '' for the core group. */
  readonly group: string;
  /** Namespace of the request. @default undefined: a cluster-wide read */
  readonly namespace?: string;
}

/** Why a read failed, in the terms a user can act on. */
export type ReadProblem =
  | { readonly kind: 'forbidden'; readonly verb: string; readonly target: ResourceName; readonly detail: string }
  | { readonly kind: 'unauthorized'; readonly detail: string }
  | { readonly kind: 'not-found'; readonly target: ResourceName; readonly detail: string }
  | { readonly kind: 'unreachable'; readonly detail: string }
  | { readonly kind: 'api-error'; readonly status: number; readonly detail: string };

/** Classifies an error of a read of `verb` on `target` (by its type and HTTP status). */
export function readProblem(e: unknown, verb: string, target: ResourceName): ReadProblem {
  if (e instanceof KubeApiError) {
    if (e.status === 403) return { kind: 'forbidden', verb, target, detail: e.message };
    if (e.status === 401) return { kind: 'unauthorized', detail: e.message };
    if (e.status === 404) return { kind: 'not-found', target, detail: e.message };
    return { kind: 'api-error', status: e.status, detail: e.message };
  }
  // Anything else from the client is the connection: refused, reset, timed out, TLS.
  return { kind: 'unreachable', detail: e instanceof Error ? e.message : String(e) };
}

/** `appsyncs.synthops.dev` (or `pods` for the core group): the name kubectl and RBAC use. */
export function qualified(t: ResourceName): string {
  return t.group ? `${t.resource}.${t.group}` : t.resource;
}

/** One sentence saying what is wrong, naming verb, resource and namespace where it applies. */
export function describeProblem(p: ReadProblem): string {
  switch (p.kind) {
    case 'forbidden':
      return `Permission denied: your Kubernetes user may not ${p.verb} ${qualified(p.target)} ${p.target.namespace ? `in namespace ${p.target.namespace}` : 'at cluster scope'}.`;
    case 'unauthorized':
      return 'The API server rejected your credentials (401 Unauthorized): the kubeconfig token or certificate has expired or is wrong.';
    case 'not-found':
      return `The API server does not serve ${qualified(p.target)}${p.target.namespace ? ` in namespace ${p.target.namespace}` : ''}.`;
    case 'unreachable':
      return `Cannot reach the Kubernetes API server: ${p.detail}. Retrying.`;
    case 'api-error':
      return `The API server answered ${p.status}: ${p.detail}`;
  }
}

/** The kubectl commands that would grant a read, for the forbidden message. */
export function grantHint(p: Extract<ReadProblem, { kind: 'forbidden' }>): string {
  const ns = p.target.namespace;
  const scope = ns ? `role -n ${ns}` : 'clusterrole';
  return `kubectl create ${scope} synthops-viewer --verb=get,list,watch --resource=${qualified(p.target)}`;
}
