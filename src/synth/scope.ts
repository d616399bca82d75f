import { Manifest, apiGroup, isCrd } from '../model/manifest';

// Built-in cluster-scoped kinds (group/kind) of Kubernetes 1.28+. Everything else is
// namespaced unless a CustomResourceDefinition in the same render says otherwise.
const BUILTIN_CLUSTER_SCOPED = new Set([
  '/Namespace',
  '/Node',
  '/PersistentVolume',
  '/ComponentStatus',
  'rbac.authorization.k8s.io/ClusterRole',
  'rbac.authorization.k8s.io/ClusterRoleBinding',
  'apiextensions.k8s.io/CustomResourceDefinition',
  'apiregistration.k8s.io/APIService',
  'admissionregistration.k8s.io/MutatingWebhookConfiguration',
  'admissionregistration.k8s.io/ValidatingWebhookConfiguration',
  'admissionregistration.k8s.io/ValidatingAdmissionPolicy',
  'admissionregistration.k8s.io/ValidatingAdmissionPolicyBinding',
  'admissionregistration.k8s.io/MutatingAdmissionPolicy',
  'admissionregistration.k8s.io/MutatingAdmissionPolicyBinding',
  'storage.k8s.io/StorageClass',
  'storage.k8s.io/CSIDriver',
  'storage.k8s.io/CSINode',
  'storage.k8s.io/VolumeAttachment',
  'storage.k8s.io/VolumeAttributesClass',
  'scheduling.k8s.io/PriorityClass',
  'node.k8s.io/RuntimeClass',
  'networking.k8s.io/IngressClass',
  'networking.k8s.io/IPAddress',
  'networking.k8s.io/ServiceCIDR',
  'certificates.k8s.io/CertificateSigningRequest',
  'certificates.k8s.io/ClusterTrustBundle',
  'flowcontrol.apiserver.k8s.io/FlowSchema',
  'flowcontrol.apiserver.k8s.io/PriorityLevelConfiguration',
  'resource.k8s.io/DeviceClass',
]);

/** Answers "is this kind cluster-scoped?" for one render, CRDs included. */
export class ScopeResolver {
  private readonly clusterScoped = new Set(BUILTIN_CLUSTER_SCOPED);

  /** @param manifests every object of the render; their CRDs teach the resolver new kinds */
  constructor(manifests: Iterable<Manifest>) {
    for (const m of manifests) {
      if (!isCrd(m)) continue;
      const spec = m.spec as { group?: string; scope?: string; names?: { kind?: string } } | undefined;
      if (spec?.scope === 'Cluster' && spec.group && spec.names?.kind) {
        this.clusterScoped.add(`${spec.group}/${spec.names.kind}`);
      }
    }
  }

  /** True if objects of this apiVersion/kind have no namespace. */
  public isClusterScoped(apiVersion: string, kind: string): boolean {
    return this.clusterScoped.has(`${apiGroup(apiVersion)}/${kind}`);
  }
}
