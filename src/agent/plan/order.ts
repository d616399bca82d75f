import { Manifest, apiGroup, isCrd, isNamespace } from '../../model/manifest';

// Apply order by kind: what others depend on first. Unknown kinds (custom resources)
// go after the built-in workloads; admission webhooks go last so they cannot block
// the objects of their own revision. Prune uses the reverse.
const KIND_ORDER = [
  'CustomResourceDefinition',
  'Namespace',
  'ResourceQuota',
  'LimitRange',
  'PriorityClass',
  'RuntimeClass',
  'StorageClass',
  'IngressClass',
  'ServiceAccount',
  'ClusterRole',
  'ClusterRoleBinding',
  'Role',
  'RoleBinding',
  'Secret',
  'ConfigMap',
  'PersistentVolume',
  'PersistentVolumeClaim',
  'Service',
  'EndpointSlice',
  'Endpoints',
  'DaemonSet',
  'Pod',
  'ReplicationController',
  'ReplicaSet',
  'Deployment',
  'StatefulSet',
  'Job',
  'CronJob',
  'HorizontalPodAutoscaler',
  'PodDisruptionBudget',
  'NetworkPolicy',
  'Ingress',
  'APIService',
];
const LAST = [
  'ValidatingAdmissionPolicy',
  'ValidatingAdmissionPolicyBinding',
  'MutatingWebhookConfiguration',
  'ValidatingWebhookConfiguration',
];
const CUSTOM_RANK = KIND_ORDER.length;

/** Apply rank of a kind: lower goes first; equal ranks may be applied concurrently. */
export function rank(kind: string): number {
  const i = KIND_ORDER.indexOf(kind);
  if (i >= 0) return i;
  const j = LAST.indexOf(kind);
  return j >= 0 ? CUSTOM_RANK + 1 + j : CUSTOM_RANK;
}

/** CRDs and Namespaces: applied (and waited for) before anything else is validated against them. */
export function isFoundation(m: Manifest): boolean {
  return isCrd(m) || isNamespace(m);
}

// Sort keys by object: an app's objects are ordered several times per reconcile.
const keys = new WeakMap<Manifest, string>();

function key(m: Manifest): string {
  let k = keys.get(m);
  if (k === undefined) {
    k = [
      String(rank(m.kind)).padStart(3, '0'),
      apiGroup(m.apiVersion),
      m.kind,
      m.metadata.namespace ?? '',
      m.metadata.name,
    ].join('\u0000');
    keys.set(m, k);
  }
  return k;
}

/** Sorts into apply order: rank, then group, kind, namespace, name (deterministic). */
export function sortForApply<T extends { manifest: Manifest }>(items: readonly T[]): T[] {
  const keyed = items.map((item) => ({ item, k: key(item.manifest) }));
  return keyed.sort((a, b) => (a.k < b.k ? -1 : a.k > b.k ? 1 : 0)).map((x) => x.item);
}

/** Groups sorted items into stages of equal rank, in order. */
export function stages<T extends { manifest: Manifest }>(items: readonly T[]): T[][] {
  const out: T[][] = [];
  let last = -1;
  for (const item of sortForApply(items)) {
    const r = rank(item.manifest.kind);
    if (r !== last) out.push([]);
    out[out.length - 1].push(item);
    last = r;
  }
  return out;
}
