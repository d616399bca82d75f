import * as path from 'path';
import { GitAuth, fetchRevision } from '../source/fetch';
import { SignerTrust } from '../../git/signing';
import { LoadOptions, loadRevision } from '../source/load';
import { ParseCache } from '../source/parse-cache';
import { LoadedRevision, Revision } from '../source/revision';

/** A source to fetch and how to read it. */
export interface SourceSpec {
  readonly url: string;
  readonly branch: string;
  /** Folder that holds the checkout between runs. */
  readonly workdir: string;
  /** Credentials for the remote. @default - none (git's own setup applies) */
  readonly auth?: GitAuth;
  /** Apply the tip only if it is signed by a trusted key. @default - none: no check */
  readonly verify?: SignerTrust;
  /** Commits of history to fetch. @default 1 */
  readonly depth?: number;
}

/** How to read a fetched revision (everything of {@link LoadOptions} but the revision itself). */
export type ReadOptions = Omit<LoadOptions, 'revision'>;

/**
 * Loads a fetched revision into the value reconcile takes. Throws a LoadError
 * (before any request to the cluster) when its manifests are unusable.
 */
export function loadFetched(revision: Revision, opts: ReadOptions): LoadedRevision {
  // The parse cache defaults to one inside .git: the checkout is cleaned on every fetch, .git is kept.
  const cache = opts.cache ?? new ParseCache(path.join(revision.dir, '.git', 'synthops', 'parsed.json'));
  const manifests = loadRevision(revision.dir, {
    ...opts,
    path: opts.path ?? revision.source.path,
    revision: revision.sha,
    cache,
  });
  return { ...manifests, revision };
}

/**
 * The first half of every reconcile (`--once`, the controller, bootstrap): fetch the
 * branch tip and load it. Source and load errors are thrown before any request to the
 * cluster, so the cluster stays at its last applied revision.
 */
export async function fetchAndLoad(source: SourceSpec, opts: ReadOptions): Promise<LoadedRevision> {
  const revision = await fetchRevision({ ...source, path: opts.path });
  return loadFetched(revision, opts);
}
