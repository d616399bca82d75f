/** A Kubernetes object as rendered to YAML. */
export interface Manifest {
  readonly apiVersion: string;
  readonly kind: string;
  readonly metadata: ManifestMetadata;
  readonly [field: string]: unknown;
}

/** The metadata fields synthops reads and writes. */
export interface ManifestMetadata {
  readonly name: string;
  /** Namespace of a namespaced object. @default - none: cluster-scoped, or the applier's default namespace */
  readonly namespace?: string;
  /** Labels of the object. @default - none */
  readonly labels?: Readonly<Record<string, string>>;
  /** Annotations of the object. @default - none */
  readonly annotations?: Readonly<Record<string, string>>;
  readonly [field: string]: unknown;
}

/** The identity of an object: what the cluster keys it on (the version is not part of it). */
export interface ObjectRef {
  readonly apiVersion: string;
  readonly kind: string;
  /** Namespace of a namespaced object. @default - none: cluster-scoped, or not named in the manifest */
  readonly namespace?: string;
  readonly name: string;
}

/** API group of an apiVersion (`apps/v1` -> `apps`, `v1` -> ``). */
export function apiGroup(apiVersion: string): string {
  const slash = apiVersion.indexOf('/');
  return slash < 0 ? '' : apiVersion.slice(0, slash);
}

/** `Kind namespace/name` (or `Kind name` when cluster-scoped): how messages name an object. */
export function describeObject(ref: ObjectRef): string {
  return ref.namespace ? `${ref.kind} ${ref.namespace}/${ref.name}` : `${ref.kind} ${ref.name}`;
}

/** Key that is equal for two manifests of the same cluster object. */
export function identityKey(ref: ObjectRef): string {
  return `${apiGroup(ref.apiVersion)}/${ref.kind}/${ref.namespace ?? ''}/${ref.name}`;
}

/** The identity of a manifest. */
export function refOf(m: Manifest): ObjectRef {
  return m.metadata?.namespace
    ? { apiVersion: m.apiVersion, kind: m.kind, namespace: m.metadata.namespace, name: m.metadata.name }
    : { apiVersion: m.apiVersion, kind: m.kind, name: m.metadata?.name };
}

/** Whether a ref names a CustomResourceDefinition (apiextensions.k8s.io, any version). */
export function isCrd(r: Pick<ObjectRef, 'apiVersion' | 'kind'>): boolean {
  return r.kind === 'CustomResourceDefinition' && apiGroup(r.apiVersion) === 'apiextensions.k8s.io';
}

/** Whether a ref names a core Namespace. */
export function isNamespace(r: Pick<ObjectRef, 'apiVersion' | 'kind'>): boolean {
  return r.kind === 'Namespace' && apiGroup(r.apiVersion) === '';
}

/**
 * Byte (UTF-16 code unit) order: the same on every machine and locale, unlike
 * `localeCompare`. Everything whose order reaches output or Git uses it.
 */
export function byteOrder(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
