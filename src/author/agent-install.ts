import { ApiObject, Lazy } from 'cdk8s';
import { Construct } from 'constructs';
import { STATUS_CRD } from '../model/appsync';
import { Application } from './application';
import { byteOrder, isCrd } from '../model/manifest';

/** One RBAC rule. */
export interface PolicyRule {
  readonly apiGroups: readonly string[];
  readonly resources: readonly string[];
  /** Restrict to these names. @default - all */
  readonly resourceNames?: readonly string[];
  readonly verbs: readonly string[];
}

/** Resources the agent reads and watches (drift), by API group. */
export interface ManagedResources {
  readonly apiGroup: string;
  readonly resources: readonly string[];
}

/** Properties of an {@link AgentInstall}. */
export interface AgentInstallProps {
  /** Deploy repo URL the agent pulls. */
  readonly repo: string;
  /** Deploy branch. */
  readonly branch: string;
  /** Folder in the branch. @default '.' */
  readonly path?: string;
  /** Environment the agent applies. @default - the environment being rendered */
  readonly env?: string;
  /** Container image of synthops (tag or digest). */
  readonly image: string;
  /** Poll interval. @default '1m' */
  readonly interval?: string;
  /** Replicas; more than one turns on leader election. @default 1 */
  readonly replicas?: number;
  /**
   * Secret (in the agent's namespace) with key `token` (Git token) and optionally
   * `webhook-secret`. Missing keys are simply not used.
   * @default 'synthops-git'
   */
  readonly credentialsSecret?: string;
  /**
   * Resources the agent reads and watches for drift. The agent needs read access to
   * every kind of the deploy branch.
   * @default - every kind that the apps of the rendered environment contain
   */
  readonly manages?: readonly ManagedResources[];
  /**
   * What the agent may write itself, for apps without a ServiceAccount. Give rules;
   * or `'cluster-admin'` to bind cluster-admin (everything, everywhere: only when you
   * must). Apps with a ServiceAccount are written as that account instead.
   * @default - no writes beyond its own namespace and CustomResourceDefinitions
   */
  readonly permissions?: readonly PolicyRule[] | 'cluster-admin';
  /** Let the agent impersonate ServiceAccounts (per-app `serviceAccount`). @default true */
  readonly impersonate?: boolean;
  /** Alerts go here. @default - none */
  readonly notifyUrl?: string;
  /**
   * Name of the agent's source (`--source`): what owns its inventories and AppSyncs.
   * A fixed name keeps them when the repo moves to another URL.
   * @default - derived by the agent from repo, branch and path
   */
  readonly source?: string;
}

const NAME = 'synthops-agent';

// Plural resource names of built-in kinds whose plural is not the simple rule's.
const PLURALS: Record<string, string> = {
  Endpoints: 'endpoints', NetworkPolicy: 'networkpolicies', Ingress: 'ingresses', IngressClass: 'ingressclasses',
  PriorityClass: 'priorityclasses', StorageClass: 'storageclasses', RuntimeClass: 'runtimeclasses',
  PodSecurityPolicy: 'podsecuritypolicies', ResourceQuota: 'resourcequotas',
};

function plural(kind: string): string {
  if (PLURALS[kind]) return PLURALS[kind];
  const k = kind.toLowerCase();
  if (/[^aeiou]y$/.test(k)) return `${k.slice(0, -1)}ies`;
  if (/(s|x|ch|sh)$/.test(k)) return `${k}es`;
  return `${k}s`;
}

/**
 * What every app of the environment being rendered contains, as read rules: the
 * agent watches exactly the kinds of its deploy branch. Plurals come from the CRDs
 * rendered alongside, else from the usual English rule.
 */
function readRulesFor(root: Construct, extra: readonly ManagedResources[]): PolicyRule[] {
  const objects = root.node.findAll().filter((c): c is ApiObject => ApiObject.isApiObject(c));
  const crdPlurals = new Map<string, string>();
  const groups = new Map<string, Set<string>>();
  const add = (group: string, resource: string) => {
    if (!groups.has(group)) groups.set(group, new Set());
    groups.get(group)!.add(resource);
  };
  // Only CRDs are rendered here (for their plurals); rendering the ClusterRole itself would recurse.
  for (const o of objects.filter(isCrd)) {
    const m = o.toJson() as { spec?: { group?: string; names?: { kind?: string; plural?: string } } };
    if (m.spec?.group && m.spec.names?.kind && m.spec.names.plural) crdPlurals.set(`${m.spec.group}/${m.spec.names.kind}`, m.spec.names.plural);
  }
  for (const o of objects) {
    const group = o.apiGroup === 'core' ? '' : o.apiGroup;
    add(group, crdPlurals.get(`${group}/${o.kind}`) ?? plural(o.kind));
  }
  for (const m of extra) for (const r of m.resources) add(m.apiGroup, r);
  add('', 'namespaces');
  return [...groups.entries()].sort(([a], [b]) => byteOrder(a, b)).map(([g, rs]) => ({ apiGroups: [g], resources: [...rs].sort(), verbs: ['get', 'list', 'watch'] }));
}
const PORT = 8080;

/**
 * The synthops agent, installed by an app of the config repo itself: ServiceAccount,
 * AppSync CRD, least-privilege RBAC, a Deployment running `synthops agent` (probes,
 * resources, non-root, read-only root filesystem, no privilege escalation) and a
 * Service for the webhook and metrics. `synthops bootstrap` applies it once; from
 * then on the agent manages it from Git like every other app.
 *
 * Rights, by default: read and watch the managed kinds cluster-wide; create and update
 * CustomResourceDefinitions; impersonate ServiceAccounts; and in its own namespace,
 * its state (ConfigMaps, AppSyncs, Events, Leases). Writes to apps go through the
 * app's ServiceAccount, or need `permissions`.
 */
export class AgentInstall extends Construct {
  /** The agent's ServiceAccount name. */
  public readonly serviceAccountName = NAME;

  constructor(scope: Construct, id: string, props: AgentInstallProps) {
    super(scope, id);
    const app = Application.of(this);
    const ns = app.appNamespace;
    const replicas = props.replicas ?? 1;
    const secret = props.credentialsSecret ?? 'synthops-git';
    const obj = (kid: string, body: Record<string, unknown>) => new ApiObject(this, kid, body as never);

    obj('service-account', { apiVersion: 'v1', kind: 'ServiceAccount', metadata: { name: NAME } });
    obj('appsync-crd', { ...STATUS_CRD, metadata: { ...STATUS_CRD.metadata } });

    // Cluster-scoped names carry the namespace, so several agents can share a cluster.
    const clusterName = `${NAME}-${ns}`;
    const rules = (): PolicyRule[] => [
      ...(props.manages ? props.manages.map((m) => ({ apiGroups: [m.apiGroup], resources: [...m.resources], verbs: ['get', 'list', 'watch'] })) : readRulesFor(this.node.root, [])),
      { apiGroups: ['apiextensions.k8s.io'], resources: ['customresourcedefinitions'], verbs: ['create', 'patch', 'update'] },
      // To manage itself from Git: its own namespace, ClusterRole and binding, and nothing else cluster-wide.
      { apiGroups: [''], resources: ['namespaces'], resourceNames: [ns], verbs: ['patch', 'update'] },
      { apiGroups: ['rbac.authorization.k8s.io'], resources: ['clusterroles', 'clusterrolebindings'], resourceNames: [clusterName, `${clusterName}-cluster-admin`], verbs: ['get', 'patch', 'update', 'escalate', 'bind'] },
      ...(props.impersonate ?? true ? [{ apiGroups: [''], resources: ['serviceaccounts'], verbs: ['impersonate'] }] : []),
      ...(Array.isArray(props.permissions) ? props.permissions : []),
    ];
    // Computed when rendered, once every app of the environment exists.
    obj('cluster-role', { apiVersion: 'rbac.authorization.k8s.io/v1', kind: 'ClusterRole', metadata: { name: clusterName }, rules: Lazy.any({ produce: () => rules() }) });
    obj('cluster-role-binding', {
      apiVersion: 'rbac.authorization.k8s.io/v1', kind: 'ClusterRoleBinding', metadata: { name: clusterName },
      roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'ClusterRole', name: clusterName },
      subjects: [{ kind: 'ServiceAccount', name: NAME, namespace: ns }],
    });
    if (props.permissions === 'cluster-admin') {
      // Everything, everywhere: the agent can then apply any app without a ServiceAccount.
      obj('cluster-admin-binding', {
        apiVersion: 'rbac.authorization.k8s.io/v1', kind: 'ClusterRoleBinding', metadata: { name: `${clusterName}-cluster-admin` },
        roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'ClusterRole', name: 'cluster-admin' },
        subjects: [{ kind: 'ServiceAccount', name: NAME, namespace: ns }],
      });
    }
    obj('role', {
      apiVersion: 'rbac.authorization.k8s.io/v1', kind: 'Role', metadata: { name: NAME },
      rules: [
        { apiGroups: [''], resources: ['configmaps'], verbs: ['get', 'list', 'watch', 'create', 'update', 'patch', 'delete'] },
        { apiGroups: [''], resources: ['events'], verbs: ['get', 'list', 'create', 'patch'] },
        { apiGroups: ['synthops.dev'], resources: ['appsyncs', 'appsyncs/status'], verbs: ['get', 'list', 'watch', 'create', 'update', 'patch', 'delete'] },
        { apiGroups: ['coordination.k8s.io'], resources: ['leases'], verbs: ['get', 'list', 'watch', 'create', 'update', 'patch'] },
        // Its own objects, so it can roll itself when its app changes in Git.
        { apiGroups: ['apps'], resources: ['deployments'], verbs: ['get', 'list', 'watch', 'create', 'update', 'patch'] },
        { apiGroups: [''], resources: ['services', 'serviceaccounts'], verbs: ['get', 'list', 'watch', 'create', 'update', 'patch'] },
        { apiGroups: ['rbac.authorization.k8s.io'], resources: ['roles', 'rolebindings'], verbs: ['get', 'list', 'watch', 'create', 'update', 'patch', 'escalate', 'bind'] },
      ],
    });
    obj('role-binding', {
      apiVersion: 'rbac.authorization.k8s.io/v1', kind: 'RoleBinding', metadata: { name: NAME },
      roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'Role', name: NAME },
      subjects: [{ kind: 'ServiceAccount', name: NAME, namespace: ns }],
    });

    const labels = { 'app.kubernetes.io/name': NAME };
    const args = [
      'agent', '--repo', props.repo, '--branch', props.branch, '--path', props.path ?? '.', '--env', props.env ?? app.env.name,
      '--interval', props.interval ?? '1m', '--listen', String(PORT), '--agent-namespace', ns,
      ...(replicas > 1 ? ['--leader-elect'] : []),
      ...(props.notifyUrl ? ['--notify-url', props.notifyUrl] : []),
      ...(props.source ? ['--source', props.source] : []),
    ];
    const fromSecret = (name: string, key: string) => ({ name, valueFrom: { secretKeyRef: { name: secret, key, optional: true } } });
    obj('deployment', {
      apiVersion: 'apps/v1', kind: 'Deployment', metadata: { name: NAME },
      spec: {
        replicas,
        selector: { matchLabels: labels },
        template: {
          metadata: { labels },
          spec: {
            serviceAccountName: NAME,
            securityContext: { runAsNonRoot: true, runAsUser: 10001, runAsGroup: 10001, seccompProfile: { type: 'RuntimeDefault' } },
            containers: [{
              name: 'agent',
              image: props.image,
              args,
              env: [fromSecret('SYNTHOPS_GIT_TOKEN', 'token'), fromSecret('SYNTHOPS_WEBHOOK_SECRET', 'webhook-secret')],
              ports: [{ name: 'http', containerPort: PORT }],
              livenessProbe: { httpGet: { path: '/healthz', port: PORT }, periodSeconds: 10 },
              readinessProbe: { httpGet: { path: '/readyz', port: PORT }, periodSeconds: 5 },
              resources: { requests: { cpu: '100m', memory: '128Mi' }, limits: { cpu: '1', memory: '512Mi' } },
              securityContext: { allowPrivilegeEscalation: false, readOnlyRootFilesystem: true, runAsNonRoot: true, capabilities: { drop: ['ALL'] } },
              volumeMounts: [{ name: 'tmp', mountPath: '/tmp' }],
            }],
            volumes: [{ name: 'tmp', emptyDir: {} }],
          },
        },
      },
    });
    obj('service', {
      apiVersion: 'v1', kind: 'Service', metadata: { name: NAME },
      spec: { selector: labels, ports: [{ name: 'http', port: 80, targetPort: PORT }] },
    });
  }
}
