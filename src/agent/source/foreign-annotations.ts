/**
 * Annotations through which other GitOps tools order or special-case objects, and that
 * synthops does not honour. Ignoring them silently would change what a repo written for
 * Argo CD or Helm does, so each object that carries one gets one warning saying what
 * synthops does instead (docs/coming-from-argo-flux.md has the whole mapping).
 */
import { Manifest, describeObject, refOf } from '../../model/manifest';

/** Argo CD's sync ordering and hook annotations. */
export const ARGOCD_ANNOTATIONS = {
  syncWave: 'argocd.argoproj.io/sync-wave',
  hook: 'argocd.argoproj.io/hook',
  hookDeletePolicy: 'argocd.argoproj.io/hook-delete-policy',
} as const;

/** Helm's hook annotation, outside a rendered chart (a chart's hooks are judged at render: render.ts). */
export const HELM_HOOK_ANNOTATION = 'helm.sh/hook';

/** The warning for one object, or undefined when it carries none of these annotations. */
export function foreignAnnotationWarning(m: Manifest, origin: string, helmHooksJudged: boolean): string | undefined {
  const a = m.metadata.annotations ?? {};
  const notes: string[] = [];
  const wave = a[ARGOCD_ANNOTATIONS.syncWave];
  if (wave !== undefined)
    notes.push(
      `${ARGOCD_ANNOTATIONS.syncWave} "${wave}" (synthops orders by kind: namespaces and CRDs first, then the rest; order apps with dependsOn)`,
    );
  const hook = a[ARGOCD_ANNOTATIONS.hook];
  if (hook !== undefined) {
    const policy = a[ARGOCD_ANNOTATIONS.hookDeletePolicy];
    notes.push(
      `${ARGOCD_ANNOTATIONS.hook} "${hook}"${policy !== undefined ? ` and ${ARGOCD_ANNOTATIONS.hookDeletePolicy} "${policy}"` : ''} (the object is applied and kept like any other, not run as a sync hook)`,
    );
  }
  const helmHook = a[HELM_HOOK_ANNOTATION];
  if (!helmHooksJudged && helmHook !== undefined)
    notes.push(
      `${HELM_HOOK_ANNOTATION} "${helmHook}" (the object is applied and kept like any other, not run as a Helm hook)`,
    );
  return notes.length > 0 ? `${origin}: ${describeObject(refOf(m))}: ignored ${notes.join('; ')}` : undefined;
}
