import { Manifest, ObjectRef, isNamespace, refOf } from '../../model/manifest';
import { PROTECTED_NAMESPACES } from '../../model/protected';

/** What the running agent admits, besides what RBAC lets it do. */
export interface AdmissionPolicy {
  /** The agent's namespace (its state, its Secret). */
  readonly agentNamespace: string;
  /**
   * The app that installs the agent: only it may have objects in the agent's namespace.
   * @default - none: the namespace is not reserved (an agent run by hand)
   */
  readonly ownApp?: string;
  /**
   * The ServiceAccounts (`namespace/name`) apps may be applied as: the ones the agent's
   * RBAC lets it impersonate, computed at synth.
   * @default - any account outside kube-system and the agent's namespace
   */
  readonly allowedServiceAccounts?: readonly string[];
}

/** Why an app may not be applied at all. */
export interface AdmissionProblem {
  readonly kind: 'service-account-not-allowed' | 'reserved-namespace';
  readonly message: string;
  /** The object, for a write into the reserved namespace. @default - none: the app's ServiceAccount */
  readonly ref?: ObjectRef;
  /** `file#document` of the object. @default - none */
  readonly origin?: string;
}

/** Refusals of the app's ServiceAccount: checked before anything is read or written as it. */
export function serviceAccountProblems(
  serviceAccount: string | undefined,
  policy: AdmissionPolicy,
): AdmissionProblem[] {
  if (!serviceAccount) return [];
  const [namespace] = serviceAccount.split('/');
  if (PROTECTED_NAMESPACES.has(namespace) || namespace === policy.agentNamespace) {
    return [
      {
        kind: 'service-account-not-allowed',
        message: `ServiceAccount ${serviceAccount} is in ${namespace}: the agent never acts as an account of kube-system or of its own namespace`,
      },
    ];
  }
  const allowed = policy.allowedServiceAccounts;
  if (allowed && !allowed.includes(serviceAccount)) {
    return [
      {
        kind: 'service-account-not-allowed',
        message: `ServiceAccount ${serviceAccount} is not one the agent may act as (allowed: ${allowed.length > 0 ? allowed.join(', ') : 'none'}); publish the app, then re-run synthops bootstrap as an admin to grant it`,
      },
    ];
  }
  return [];
}

/** Objects of an app other than the agent's own that live in (or are) the agent's namespace. */
export function reservedNamespaceProblems(
  app: string,
  objects: ReadonlyArray<{ readonly manifest: Manifest; readonly origin: string }>,
  policy: AdmissionPolicy,
): AdmissionProblem[] {
  if (policy.ownApp === undefined || app === policy.ownApp) return [];
  const ns = policy.agentNamespace;
  return objects
    .filter((o) => o.manifest.metadata.namespace === ns || (isNamespace(o.manifest) && o.manifest.metadata.name === ns))
    .map((o) => ({
      kind: 'reserved-namespace' as const,
      ref: refOf(o.manifest),
      origin: o.origin,
      message: `the namespace ${ns} is the agent's own (its state and credentials); only its app ${policy.ownApp} may write there`,
    }));
}
