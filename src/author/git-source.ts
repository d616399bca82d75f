import { ApiObject } from 'cdk8s';
import { Construct, IConstruct } from 'constructs';
import { GITSOURCE_API_VERSION, GITSOURCE_KIND, GitSourceSpec } from '../model/gitsource';
import { parseDuration } from '../model/duration';
import { sourceNameProblem } from '../model/source';
import { Application } from './application';

/** Properties of a {@link GitSource}. */
export interface GitSourceProps {
  /** Name of the source (the GitSource object, and the `synthops.dev/source` of what it applies). @default - the construct id */
  readonly name?: string;
  /** Remote URL: https://, ssh://, git@host:path or file://. */
  readonly url: string;
  /** Deploy branch. */
  readonly branch: string;
  /** Folder in the branch. @default '.' */
  readonly path?: string;
  /** How the folder is read. @default 'auto' (detected: synthops output, Kustomize, Helm chart, plain YAML) */
  readonly layout?: 'auto' | 'synthops' | 'plain' | 'kustomize' | 'helm';
  /** Environment to apply from synthops output. @default - the output's only environment */
  readonly env?: string;
  /** App name for plain YAML, Kustomize and Helm. @default - the folder name; the repo's name at its root */
  readonly app?: string;
  /** Namespace of namespaced objects that name none. @default - the agent's `--namespace` */
  readonly targetNamespace?: string;
  /** Poll interval (`30s`, `5m`). @default - the agent's interval */
  readonly interval?: string;
  /**
   * ServiceAccount to apply as (`namespace/name`, or a name in `targetNamespace`). The
   * agent's install (AgentInstall in the same app) may then impersonate it.
   * @default - the agent's own identity
   */
  readonly serviceAccountName?: string;
  /**
   * Secret in the agent's namespace with `token` (https), `identity` (ssh key) and
   * `known_hosts`. AgentInstall in the same app lets the agent read exactly this
   * Secret, by name.
   * @default - none: the agent's own Git setup
   */
  readonly secretName?: string;
  /** Sources whose apps must all be Ready before this one reconciles. @default - none */
  readonly dependsOn?: readonly (string | GitSource)[];
  /** Stop fetching and applying. @default false */
  readonly suspend?: boolean;
}

const GIT_SOURCE_BRAND = Symbol.for('synthops.GitSource');

/**
 * Another source for the agent: a branch and folder of a repository that the agent
 * reconciles beside its own, with its own schedule, inventories, AppSyncs and status
 * (a `GitSource` object in the agent's namespace). Declare it in the app that
 * installs the agent ({@link AgentInstall}): the agent's namespace is reserved for
 * that app, and AgentInstall grants what the GitSources of its app need (their
 * Secrets by name, their ServiceAccounts to impersonate).
 *
 * @example
 * const payments = new GitSource(app, 'payments', { url: 'https://git.example.com/org/payments-deploy.git', branch: 'deploy', secretName: 'payments-git' });
 * new GitSource(app, 'shop', { url: 'https://git.example.com/org/shop.git', branch: 'main', path: 'k8s', dependsOn: [payments] });
 */
export class GitSource extends ApiObject {
  /** True if `x` is a GitSource construct (works across copies of this module). */
  public static isGitSource(x: unknown): x is GitSource {
    return typeof x === 'object' && x !== null && GIT_SOURCE_BRAND in x;
  }

  /** Every GitSource under `scope`. */
  public static allIn(scope: IConstruct): GitSource[] {
    return scope.node.findAll().filter(GitSource.isGitSource);
  }

  /** The source's name. */
  public readonly sourceName: string;
  /** The credentials Secret, if any. @default - none */
  public readonly secretName?: string;
  /** The ServiceAccount it applies as, `namespace/name`. @default - none: the agent's own identity */
  public readonly serviceAccount?: string;

  constructor(scope: Construct, id: string, props: GitSourceProps) {
    const name = props.name ?? id;
    const problem = sourceNameProblem(name);
    if (problem) throw new Error(`GitSource ${id}: ${problem}`);
    const sa = props.serviceAccountName;
    if (sa && !sa.includes('/') && !props.targetNamespace)
      throw new Error(`GitSource ${name}: serviceAccountName: give namespace/name, or set targetNamespace`);
    // The agent would report the GitSource InvalidSpec: say so at synth.
    if (props.interval !== undefined) {
      let ms: number;
      try {
        ms = parseDuration(props.interval);
      } catch (e) {
        throw new Error(`GitSource ${name}: interval: ${(e as Error).message}`);
      }
      if (ms <= 0) throw new Error(`GitSource ${name}: interval: it must be positive`);
    }
    const dependsOn = (props.dependsOn ?? []).map((d) => (typeof d === 'string' ? d : d.sourceName));
    const spec: GitSourceSpec = {
      url: props.url,
      branch: props.branch,
      ...(props.path !== undefined ? { path: props.path } : {}),
      ...(props.layout !== undefined ? { layout: props.layout } : {}),
      ...(props.env !== undefined ? { env: props.env } : {}),
      ...(props.app !== undefined ? { app: props.app } : {}),
      ...(props.targetNamespace !== undefined ? { targetNamespace: props.targetNamespace } : {}),
      ...(props.interval !== undefined ? { interval: props.interval } : {}),
      ...(sa !== undefined ? { serviceAccountName: sa } : {}),
      ...(props.secretName !== undefined ? { secretRef: { name: props.secretName } } : {}),
      ...(dependsOn.length > 0 ? { dependsOn } : {}),
      ...(props.suspend ? { suspend: true } : {}),
    };
    super(scope, id, {
      apiVersion: GITSOURCE_API_VERSION,
      kind: GITSOURCE_KIND,
      metadata: { name, namespace: Application.of(scope).appNamespace },
      spec,
    } as never);
    Object.defineProperty(this, GIT_SOURCE_BRAND, { value: true });
    this.sourceName = name;
    this.secretName = props.secretName;
    this.serviceAccount = sa ? (sa.includes('/') ? sa : `${props.targetNamespace}/${sa}`) : undefined;
  }
}
