import { KubeClient } from '../../kube/client';
import * as path from 'path';
import { LoadedRevision, loadRevision } from '../source/load';
import { ParseCache } from '../source/parse-cache';
import { ReconcileOptions, ReconcileResult, reconcile } from './reconcile';
import { GitAuth, Revision, fetchRevision } from '../source/fetch';

/** Options of {@link agentOnce}. */
export interface AgentOnceOptions extends Omit<ReconcileOptions, 'client' | 'loaded' | 'revision' | 'trailers'> {
  readonly repo: string;
  readonly branch: string;
  readonly workdir: string;
  readonly auth?: GitAuth;
  /** Folder in the branch. @default '.' */
  readonly path?: string;
  readonly env?: string;
  readonly app?: string;
  /** ServiceAccount (`namespace/name`) to apply plain YAML as. */
  readonly serviceAccount?: string;
  /** App name when plain YAML sits at the repo root. */
  readonly fallbackName?: string;
  readonly client: KubeClient;
}

/** The steps of one reconcile, for the caller to report. */
export interface AgentOnceResult {
  readonly revision: Revision;
  readonly loaded: LoadedRevision;
  readonly result: ReconcileResult;
}

/**
 * One complete reconcile: fetch the branch tip, load and check its manifests, and
 * make the cluster equal to it. A source or load error is thrown before any request
 * to the cluster, so the cluster stays at its last applied revision.
 */
export async function agentOnce(opts: AgentOnceOptions): Promise<AgentOnceResult> {
  const revision = await fetchRevision({ url: opts.repo, branch: opts.branch, workdir: opts.workdir, auth: opts.auth });
  const loaded = loadRevision(revision.dir, { path: opts.path, env: opts.env, app: opts.app, serviceAccount: opts.serviceAccount, fallbackName: opts.fallbackName, revision: revision.sha,
    // Inside .git: the checkout is cleaned on every fetch, .git is kept.
    cache: new ParseCache(path.join(revision.dir, '.git', 'synthops', 'parsed.json')),
  });
  const result = await reconcile({ ...opts, loaded, revision: revision.sha, trailers: revision.trailers });
  return { revision, loaded, result };
}
