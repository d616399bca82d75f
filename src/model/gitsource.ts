import { agentCrd } from './crd';
import { Manifest } from './manifest';

// No imports beyond types: AgentInstall renders this CRD at synth time, and synth must
// not load the Kubernetes client.

/** API group/version of GitSource (the group and version of AppSync). */
export const GITSOURCE_API_VERSION = 'synthops.dev/v1alpha1';
export const GITSOURCE_KIND = 'GitSource';
/** Plural resource name of GitSource. */
export const GITSOURCE_PLURAL = 'gitsources';

/** Keys of a GitSource's credentials Secret (all optional). */
export const GITSOURCE_SECRET_KEYS = {
  /** Token for https remotes. */
  token: 'token',
  /** Private key for ssh remotes. */
  sshKey: 'identity',
  /** known_hosts for ssh remotes. */
  knownHosts: 'known_hosts',
} as const;

/** What a GitSource asks the agent to reconcile: one branch and folder of one repository. */
export interface GitSourceSpec {
  /** Remote URL: https://, ssh://, git@host:path or file://. */
  readonly url: string;
  /** Deploy branch. */
  readonly branch: string;
  /** Folder in the branch. @default '.' */
  readonly path?: string;
  /** How the folder is read: auto, synthops, plain, kustomize or helm. @default 'auto' */
  readonly layout?: string;
  /** Environment to apply from synthops output. @default - the output's only environment */
  readonly env?: string;
  /** App name for plain YAML, Kustomize and Helm. @default - the folder name; the repo's name at its root */
  readonly app?: string;
  /** Namespace of namespaced objects that name none. @default - the agent's `--namespace` */
  readonly targetNamespace?: string;
  /** Poll interval (`30s`, `5m`). @default - the agent's `--interval` */
  readonly interval?: string;
  /**
   * ServiceAccount to apply plain YAML, Kustomize and Helm output as: `namespace/name`,
   * or a name in `targetNamespace`.
   * @default - the agent's own identity
   */
  readonly serviceAccountName?: string;
  /** Secret in the agent's namespace with `token`, `identity` (ssh key) and `known_hosts`. @default - none: the agent's own Git setup */
  readonly secretRef?: { readonly name: string };
  /** GitSources (or the agent's `--source`) whose apps must all be Ready first. @default - none */
  readonly dependsOn?: readonly string[];
  /** Stop fetching and applying. @default false */
  readonly suspend?: boolean;
}

/** A GitSource's Ready condition. */
export interface GitSourceCondition {
  readonly type: 'Ready';
  readonly status: 'True' | 'False' | 'Unknown';
  /** Why, one word: see {@link GitSourceReason}. */
  readonly reason: string;
  readonly message: string;
  readonly lastTransitionTime: string;
}

/** Reasons of a GitSource's Ready condition. */
export type GitSourceReason =
  | 'Succeeded'
  | 'Progressing'
  | 'SourceFailed'
  | 'BuildFailed'
  | 'DependencyNotReady'
  | 'Suspended'
  | 'InvalidSpec'
  | 'CredentialsNotFound';

/** Written by the agent. */
export interface GitSourceStatus {
  /** The generation of the spec this status is about. @default - none (never seen) */
  readonly observedGeneration?: number;
  /** The last revision fetched (and loaded). @default - none (never fetched) */
  readonly lastFetchedRevision?: string;
  /** The revision every app of the source is Ready at. @default - none (never all Ready) */
  readonly lastReadyRevision?: string;
  /** The apps of the last loaded revision. @default - none (never loaded) */
  readonly apps?: readonly string[];
  /** `Ready`. @default - none (never seen) */
  readonly conditions?: readonly GitSourceCondition[];
}

/** A GitSource as read from the cluster. */
export interface GitSource {
  /** @default - as listed: not repeated per item */
  readonly apiVersion?: string;
  /** @default - as listed: not repeated per item */
  readonly kind?: string;
  readonly metadata: {
    name: string;
    namespace?: string;
    uid?: string;
    generation?: number;
    resourceVersion?: string;
  };
  readonly spec: GitSourceSpec;
  /** Written by the agent. @default - none (never seen) */
  readonly status?: GitSourceStatus;
}

const str = { type: 'string' };

/** The CustomResourceDefinition of GitSource: a source the agent in its namespace reconciles. */
export const GITSOURCE_CRD: Manifest = agentCrd({
  kind: GITSOURCE_KIND,
  plural: GITSOURCE_PLURAL,
  singular: 'gitsource',
  shortNames: ['gs'],
  printerColumns: [
    { name: 'URL', type: 'string', jsonPath: '.spec.url' },
    { name: 'Branch', type: 'string', jsonPath: '.spec.branch' },
    { name: 'Path', type: 'string', jsonPath: '.spec.path', priority: 1 },
    { name: 'Ready', type: 'string', jsonPath: '.status.conditions[?(@.type=="Ready")].status' },
    { name: 'Reason', type: 'string', jsonPath: '.status.conditions[?(@.type=="Ready")].reason' },
    { name: 'Message', type: 'string', jsonPath: '.status.conditions[?(@.type=="Ready")].message', priority: 1 },
  ],
  description:
    'A branch and folder of a Git repository that the synthops agent of this namespace reconciles, with its own schedule, inventories, AppSyncs and status.',
  spec: {
    type: 'object',
    required: ['url', 'branch'],
    properties: {
      url: { ...str, minLength: 1 },
      branch: { ...str, minLength: 1 },
      path: str,
      layout: { type: 'string', enum: ['auto', 'synthops', 'plain', 'kustomize', 'helm'] },
      env: str,
      app: str,
      targetNamespace: str,
      interval: str,
      serviceAccountName: str,
      secretRef: { type: 'object', required: ['name'], properties: { name: str } },
      dependsOn: { type: 'array', items: str },
      suspend: { type: 'boolean' },
    },
  },
});
