import { APP_LABEL, ENV_LABEL } from '../../model/keys';
import { Manifest, ObjectRef, apiGroup, describeObject, isCrd, refOf } from '../../model/manifest';
import { UnknownKindError } from '../../kube/errors';
import { DesiredApp } from '../source/load';
import { ObjectClient } from '../../kube/objects';

/** A desired object ready to apply. */
export interface PreparedObject {
  readonly manifest: Manifest;
  readonly origin: string;
  readonly name: string;
  /**
   * Why the object cannot be dry-run yet: its kind comes from a CRD of this revision
   * or its namespace is created by this revision. It is validated after those exist.
   * @default - none: dry-run with the rest
   */
  readonly deferred?: string;
  /** The digest to record instead of the applied one (see DesiredObject.digest). @default - computed from the object as applied */
  readonly digest?: string;
}

/** Result of preparing an app: objects, or problems that fail the app before any write. */
export interface Prepared {
  readonly objects: PreparedObject[];
  readonly problems: Array<{ readonly ref: ObjectRef; readonly origin: string; readonly message: string }>;
}

interface CrdKind {
  readonly namespaced: boolean;
}

/** Kinds that CRDs of this revision define, by `group/kind`. */
export function crdKinds(objects: readonly Manifest[]): Map<string, CrdKind> {
  const out = new Map<string, CrdKind>();
  for (const m of objects) {
    if (!isCrd(m)) continue;
    const spec = m.spec as { group?: string; scope?: string; names?: { kind?: string } } | undefined;
    if (spec?.group && spec.names?.kind)
      out.set(`${spec.group}/${spec.names.kind}`, { namespaced: spec.scope !== 'Cluster' });
  }
  return out;
}

/**
 * Makes an app's objects ready to apply: the synthops labels stamped where missing,
 * the namespace defaulted for namespaced kinds (removed for cluster-scoped ones), and
 * custom resources whose CRD comes with this revision marked as deferred.
 */
export async function prepare(
  app: DesiredApp,
  objects: ObjectClient,
  defaultNamespace: string,
  revisionCrds: Map<string, CrdKind>,
): Promise<Prepared> {
  const out: PreparedObject[] = [];
  const problems: Prepared['problems'] = [];
  for (const d of app.objects) {
    // Only metadata changes here: copy it, share the rest with the loaded revision (which
    // nothing writes to; later steps copy what they change too).
    const metadata: Record<string, unknown> = { ...d.manifest.metadata };
    const m: Manifest = { ...d.manifest, metadata: metadata as Manifest['metadata'] };
    const labels = { ...(m.metadata.labels as Record<string, string> | undefined) };
    labels[APP_LABEL] ??= app.name;
    labels[ENV_LABEL] ??= app.env;
    metadata.labels = labels;
    let namespaced: boolean;
    let deferred: string | undefined;
    try {
      namespaced = await objects.isNamespaced(m.apiVersion, m.kind);
    } catch (e) {
      const fromCrd = revisionCrds.get(`${apiGroup(m.apiVersion)}/${m.kind}`);
      if (!(e instanceof UnknownKindError) || !fromCrd) {
        problems.push({ ref: refOf(m), origin: d.origin, message: (e as Error).message });
        continue;
      }
      namespaced = fromCrd.namespaced;
      deferred = 'the CustomResourceDefinition of this revision';
    }
    if (namespaced) metadata.namespace ??= defaultNamespace;
    else delete metadata.namespace;
    out.push({
      manifest: m,
      origin: d.origin,
      name: describeObject(refOf(m)),
      deferred,
      ...(d.digest ? { digest: d.digest } : {}),
    });
  }
  return { objects: out, problems };
}

/** HPA scale targets (`Kind/namespace/name`) found in manifests. */
export function hpaTargets(hpas: readonly Manifest[]): Set<string> {
  const out = new Set<string>();
  for (const h of hpas) {
    const ref = (h.spec as { scaleTargetRef?: { kind?: string; name?: string } } | undefined)?.scaleTargetRef;
    if (ref?.kind && ref.name) out.add(`${ref.kind}/${h.metadata.namespace ?? ''}/${ref.name}`);
  }
  return out;
}

/**
 * Leaves `spec.replicas` out of workloads an HorizontalPodAutoscaler scales, so the
 * agent never fights the autoscaler over the replica count.
 */
export function dropAutoscaledReplicas(prepared: PreparedObject[], targets: Set<string>): PreparedObject[] {
  return prepared.map((p) => {
    const m = p.manifest;
    if (!targets.has(`${m.kind}/${m.metadata.namespace ?? ''}/${m.metadata.name}`)) return p;
    const spec = { ...(m.spec as Record<string, unknown>) };
    if (!('replicas' in spec)) return p;
    delete spec.replicas;
    return { ...p, manifest: { ...m, spec } };
  });
}
