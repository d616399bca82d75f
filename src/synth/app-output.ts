/**
 * One app in one environment, normalised and serialised: what synth writes for it
 * and what the synth cache keeps. Rendering (slow: the app's constructs) and laying
 * out (fast: normalise, name files, YAML) are separate, so cached output can be laid
 * out again when something outside the app changes how it normalises.
 */
import { IndexedApp } from '../model/index-file';
import { fileNames } from './layout';
import { Manifest, byteOrder, refOf } from '../model/manifest';
import { normalize } from './normalize';
import { AppHeader } from './render';
import { ScopeResolver } from './scope';
import { toYaml } from './serialize';
import { sha256 } from '../model/hash';

/** An object after normalisation, with what normalisation decided from outside the app. */
export interface NormalizedObject {
  readonly manifest: Manifest;
  /** Whether its kind was cluster-scoped (CRDs of other apps can change that). */
  readonly clusterScoped: boolean;
  /** The namespace normalisation removed because the kind was cluster-scoped. @default - none removed */
  readonly removedNamespace?: unknown;
  /** The SOPS file it was taken in from, relative to the config repo root (validation checks its recipients). @default - none: not from a SOPS file */
  readonly sopsFile?: string;
}

/** One output file. */
export interface OutputFile {
  /** Path relative to the output root, "/" separated. */
  readonly path: string;
  readonly content: string;
  readonly sha256: string;
  /** Index of its object in {@link AppOutput.objects}. */
  readonly object: number;
}

/** What an app contributes to one synth in one environment. */
export interface AppOutput extends AppHeader {
  /** Objects in render order (validation reports in this order). */
  readonly objects: readonly NormalizedObject[];
  /** Files sorted by path; undefined when an object has no name or kind (validation reports it, nothing is written). @default - none: an object has no name or kind */
  readonly files?: readonly OutputFile[];
}

/** The app-level facts of an {@link AppOutput}, without its objects. */
export type AppOutputMeta = Omit<AppOutput, 'objects' | 'files'>;

/** Normalises, names and serialises the rendered objects of one app in one environment. */
export function layoutApp(
  meta: AppOutputMeta,
  rendered: readonly Manifest[],
  scopes: ScopeResolver,
  sopsFiles: readonly (string | undefined)[] = [],
): AppOutput {
  const objects: NormalizedObject[] = rendered.map((m, i) => {
    const clusterScoped = scopes.isClusterScoped(m.apiVersion, m.kind);
    const manifest = normalize(m, meta.app, meta.env, scopes);
    // A SOPS document keeps its namespace (normalize passes it through).
    const removed =
      clusterScoped && manifest !== m ? (m.metadata as { namespace?: unknown } | undefined)?.namespace : undefined;
    const sops = sopsFiles[i] === undefined ? {} : { sopsFile: sopsFiles[i] };
    return removed === undefined
      ? { manifest, clusterScoped, ...sops }
      : { manifest, clusterScoped, removedNamespace: removed, ...sops };
  });
  const manifests = objects.map((o) => o.manifest);
  if (manifests.some((m) => typeof m.metadata?.name !== 'string' || typeof m.kind !== 'string')) {
    return { ...meta, objects };
  }
  const names = fileNames(manifests);
  const files = manifests
    .map((m, i) => {
      const content = toYaml(m);
      return { path: `${meta.env}/${meta.app}/${names[i]}`, content, sha256: sha256(content), object: i };
    })
    .sort((a, b) => byteOrder(a.path, b.path));
  return { ...meta, objects, files };
}

/**
 * The output again, if the kinds it normalised changed scope since (a CRD elsewhere
 * changed); otherwise the same object. Normalising is idempotent apart from the
 * namespace it removes, which is kept for this.
 */
export function relayoutIfScopesChanged(out: AppOutput, scopes: ScopeResolver): AppOutput {
  const changed = out.objects.some(
    (o) => scopes.isClusterScoped(o.manifest.apiVersion, o.manifest.kind) !== o.clusterScoped,
  );
  if (!changed) return out;
  const restored = out.objects.map((o) =>
    o.removedNamespace === undefined
      ? o.manifest
      : ({ ...o.manifest, metadata: { ...o.manifest.metadata, namespace: o.removedNamespace } } as Manifest),
  );
  const { objects: _objects, files: _files, ...meta } = out;
  return layoutApp(
    meta,
    restored,
    scopes,
    out.objects.map((o) => o.sopsFile),
  );
}

/** The index entry of a laid-out app (only for apps with files). */
export function indexedApp(out: AppOutput): IndexedApp {
  return {
    env: out.env,
    app: out.app,
    namespace: out.namespace,
    source: out.source,
    ...(out.dependsOn.length > 0 ? { dependsOn: [...out.dependsOn].sort() } : {}),
    ...(out.serviceAccount ? { serviceAccount: out.serviceAccount } : {}),
    objects: (out.files ?? []).map((f) => ({ ...refOf(out.objects[f.object].manifest), file: f.path })),
  };
}
