import { KubeClient } from '../../kube/client';
import { GitAuth, Revision } from '../source/fetch';
import { LayoutChoice, RenderSettings } from '../source/render';
import { LoadedRevision } from '../source/revision';
import { SignerTrust } from '../../git/signing';
import { ReconcileOptions, ReconcileResult, reconcile } from './reconcile';
import { fetchAndLoad } from './step';

/** Options of {@link agentOnce}. */
export interface AgentOnceOptions extends Omit<ReconcileOptions, 'client' | 'loaded'> {
  readonly repo: string;
  readonly branch: string;
  readonly workdir: string;
  /** Credentials for the remote. @default - none (git's own setup applies) */
  readonly auth?: GitAuth;
  /** Apply the tip only if it is signed by a trusted key. @default - none: no check */
  readonly verify?: SignerTrust;
  /** Folder in the branch. @default '.' */
  readonly path?: string;
  /** Environment to load from synthops output. @default - the only one */
  readonly env?: string;
  /** App name for plain YAML. @default - the folder name */
  readonly app?: string;
  /** ServiceAccount (`namespace/name`) to apply plain YAML as. @default - the agent's own account */
  readonly serviceAccount?: string;
  /** App name when plain YAML sits at the repo root. @default 'default' */
  readonly fallbackName?: string;
  /** How the folder is read. @default 'auto' */
  readonly layout?: LayoutChoice;
  /** How Kustomize and Helm folders are rendered. @default - the safe defaults */
  readonly render?: RenderSettings;
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
  const loaded = await fetchAndLoad(
    { url: opts.repo, branch: opts.branch, workdir: opts.workdir, auth: opts.auth, verify: opts.verify },
    {
      path: opts.path,
      env: opts.env,
      app: opts.app,
      serviceAccount: opts.serviceAccount,
      fallbackName: opts.fallbackName,
      layout: opts.layout,
      render: opts.render,
      namespace: opts.defaultNamespace,
    },
  );
  const result = await reconcile({ ...opts, loaded });
  return { revision: loaded.revision, loaded, result };
}
