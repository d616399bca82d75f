import { TRAILERS } from '../../model/keys';
import { RenderedBy } from '../../render/run';
import { DesiredApp } from './load';
import { Layout } from './render';

/** Where a revision comes from: one branch and folder of one repository. */
export interface SourceRef {
  /** Remote URL, credentials stripped. */
  readonly url: string;
  readonly branch: string;
  /** Folder in the branch. @default '.' */
  readonly path?: string;
}

/** One fetched commit: the value everything downstream is keyed on. */
export interface Revision {
  /** Commit sha. */
  readonly sha: string;
  /** Checkout folder (the work tree at `sha`). */
  readonly dir: string;
  /** Commit time. */
  readonly committedAt: Date;
  /** Commit trailers (`Allow-Prune: web`), by key. */
  readonly trailers: Readonly<Record<string, readonly string[]>>;
  readonly source: SourceRef;
}

/** What a folder of manifests asks for. */
export interface LoadedManifests {
  /**
   * `synthops` (an index.json names apps and hashes), `plain` (a folder of YAML is one
   * app), `kustomize` or `helm` (the folder rendered by the tool is one app).
   */
  readonly layout: Layout;
  readonly env: string;
  readonly apps: readonly DesiredApp[];
  /** The binary that rendered a kustomize or helm folder. @default - none: nothing was rendered */
  readonly renderedBy?: RenderedBy;
  /**
   * What loaded but deserves a word, once per object: annotations of other tools that
   * synthops ignores (Argo CD sync waves and hooks), skipped Helm hooks, the tool's notices.
   * @default - none
   */
  readonly warnings?: readonly string[];
}

/** A revision and what it asks for: what reconcile takes. */
export interface LoadedRevision extends LoadedManifests {
  readonly revision: Revision;
}

/** Apps a commit allows past the prune guards through `Allow-Prune: app[, app]` trailers. */
export function allowedByTrailers(revision: Pick<Revision, 'trailers'>): string[] {
  return (revision.trailers[TRAILERS.allowPrune] ?? [])
    .flatMap((v) => v.split(','))
    .map((s) => s.trim())
    .filter(Boolean);
}
