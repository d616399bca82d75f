import { ApiObject, Lazy } from 'cdk8s';
import { parseDuration } from '../model/duration';
import { Construct } from 'constructs';
import { STATUS_CRD } from '../model/appsync';
import { GITSOURCE_CRD, GITSOURCE_KIND } from '../model/gitsource';
import { GitSource } from './git-source';
import { Application } from './application';
import { CatalogApp, CatalogObject, whenEnvironmentComplete } from './environment-catalog';
import { byteOrder, isCrd } from '../model/manifest';
import { PROTECTED_NAMESPACES } from '../model/protected';

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

/**
 * One right of the agent: a rule, where it holds, and why the agent needs it. The
 * agent's ClusterRole and Roles are rendered from these, and so is the README's table.
 */
export interface AgentGrant {
  /** Namespace the rule holds in (a Role there). @default - none: cluster-wide (the ClusterRole) */
  readonly namespace?: string;
  readonly rule: PolicyRule;
  readonly why: string;
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
   * Resources the agent reads and watches for drift, cluster-wide. The agent needs
   * read access to every kind of the deploy branch.
   * @default - every kind the apps of the rendered environment contain, where they contain it: cluster-scoped kinds cluster-wide, namespaced kinds in the namespaces of the apps it applies as their ServiceAccount (cluster-wide for apps it writes itself, with `permissions`)
   */
  readonly manages?: readonly ManagedResources[];
  /**
   * What the agent may write itself, for apps without a ServiceAccount. Give rules;
   * or `'cluster-admin'` to bind cluster-admin (everything, everywhere: only when you
   * must). Apps with a ServiceAccount are written as that account instead.
   * @default - no writes beyond its own objects
   */
  readonly permissions?: readonly PolicyRule[] | 'cluster-admin';
  /**
   * Let the agent impersonate the ServiceAccounts the apps of its environment name
   * (each in its own namespace, by name; never one of kube-system or of the agent's
   * namespace).
   * @default true
   */
  readonly impersonate?: boolean;
  /** Alerts go here (`--notify-url`): a webhook URL, or the forge API base for commit statuses. @default - none */
  readonly notifyUrl?: string;
  /**
   * How alerts are sent (`--notify-format`): `json`, `slack`, `msteams`, `discord`, or
   * commit statuses with `github` / `gitlab`, whose API token is read from the key
   * `notify-token` of the credentials Secret, mounted as a file.
   * @default 'json'
   */
  readonly notifyFormat?: 'json' | 'slack' | 'msteams' | 'discord' | 'github' | 'gitlab';
  /** Message wording with `{{app}} {{env}} {{revision}} {{reason}} {{message}}` (`--notify-template`). @default - the built-in wording */
  readonly notifyTemplate?: string;
  /** Forge repo path (`owner/name`) of commit statuses (`--notify-repo`). @default - from the Source-Repo trailer, else the deploy repo */
  readonly notifyRepo?: string;
  /**
   * Secret (in the agent's namespace) whose `*.agekey` entries hold the age identities
   * that decrypt SOPS-encrypted objects (`--decryption-secret`). The agent may `get`
   * exactly this Secret, by name, and no other.
   * @default - none: SOPS-encrypted objects fail their app
   */
  readonly decryptionSecret?: string;
  /** Size limit of the `/tmp` emptyDir (the checkout of the deploy branch lives there). @default '1Gi' */
  readonly tmpSizeLimit?: string;
  /**
   * Apply only deploy commits signed by a trusted SSH key (`--verify-signatures`): the
   * Secret (in the agent's namespace) holding `allowed_signers`, and `revoked_keys`
   * when `revokedKeys` is set, mounted into the Pod as files (public keys only; the
   * agent needs no right to read it).
   * @default - none: tips are applied unchecked
   */
  readonly verifySignatures?: { readonly secretName: string; readonly revokedKeys?: boolean };
  /**
   * Name of the agent's source (`--source`): what owns its inventories and AppSyncs.
   * A fixed name keeps them when the repo moves to another URL.
   * @default - derived by the agent from repo, branch and path
   */
  readonly source?: string;
  /**
   * Secrets (in the agent's namespace) with the credentials of GitSources created
   * outside Git (kubectl): the agent may `get` exactly these, by name, besides those
   * the {@link GitSource}s of this app name.
   * @default - only the Secrets of the GitSources of this app
   */
  readonly sourceSecrets?: readonly string[];
}

const NAME = 'synthops-agent';
const PORT = 8080;
/** Where the credentials Secret is mounted in the agent's container. */
const SECRET_DIR = '/var/run/secrets/synthops';
const SIGNERS_DIR = '/var/run/secrets/synthops-signers';
const READ = ['get', 'list', 'watch'];
const RBAC_GROUP = 'rbac.authorization.k8s.io';

// Plural resource names of built-in kinds whose plural is not the simple rule's.
const PLURALS: Record<string, string> = {
  Endpoints: 'endpoints',
  NetworkPolicy: 'networkpolicies',
  Ingress: 'ingresses',
  IngressClass: 'ingressclasses',
  PriorityClass: 'priorityclasses',
  StorageClass: 'storageclasses',
  RuntimeClass: 'runtimeclasses',
  PodSecurityPolicy: 'podsecuritypolicies',
  ResourceQuota: 'resourcequotas',
};

function plural(kind: string): string {
  if (PLURALS[kind]) return PLURALS[kind];
  const k = kind.toLowerCase();
  if (/[^aeiou]y$/.test(k)) return `${k.slice(0, -1)}ies`;
  if (/(s|x|ch|sh)$/.test(k)) return `${k}es`;
  return `${k}s`;
}

function groupOf(apiVersion: string): string {
  return apiVersion.includes('/') ? apiVersion.slice(0, apiVersion.indexOf('/')) : '';
}

const sorted = (xs: Iterable<string>): string[] => [...new Set(xs)].sort(byteOrder);

/** Read rules for objects: one rule per API group, resources sorted. */
function readRules(objects: readonly CatalogObject[]): PolicyRule[] {
  const groups = new Map<string, Set<string>>();
  for (const o of objects) {
    const g = groupOf(o.apiVersion);
    if (!groups.has(g)) groups.set(g, new Set());
    groups.get(g)!.add(o.resource ?? plural(o.kind));
  }
  return [...groups.entries()]
    .sort(([a], [b]) => byteOrder(a, b))
    .map(([g, rs]) => ({ apiGroups: [g], resources: sorted(rs), verbs: READ }));
}

/** What the agent's install computes from the environment. */
interface Computed {
  readonly grants: readonly AgentGrant[];
  readonly allowedServiceAccounts: readonly string[];
}

/**
 * The synthops agent, installed by an app of the config repo itself: ServiceAccount,
 * AppSync CRD, least-privilege RBAC, a Deployment running `synthops agent` (probes,
 * resources, non-root, read-only root filesystem, no privilege escalation) and a
 * Service for the webhook and metrics. `synthops bootstrap` applies it once; from
 * then on the agent manages it from Git like every other app.
 *
 * Its rights are computed at synth from every app of the environment (see
 * {@link AgentInstall.grants}): it reads exactly the kinds of its deploy branch where
 * they are, impersonates exactly the ServiceAccounts the apps name (never one of
 * kube-system or of its own namespace), keeps its state in its own namespace (which
 * is reserved for its own app), and may re-apply its own RBAC but, holding neither
 * `escalate` nor `bind`, never widen it: that takes `synthops bootstrap` by an admin.
 */
export class AgentInstall extends Construct {
  /** The agent's ServiceAccount name. */
  public readonly serviceAccountName = NAME;
  private computed?: Computed;

  constructor(scope: Construct, id: string, props: AgentInstallProps) {
    super(scope, id);
    const app = Application.of(this);
    const ns = app.appNamespace;
    const replicas = props.replicas ?? 1;
    // The agent would refuse it at start (crash-looping): say so at synth.
    if (props.interval !== undefined) {
      try {
        if (parseDuration(props.interval) <= 0) throw new Error('it must be positive');
      } catch (e) {
        throw new Error(`${this.node.path}: interval: ${(e as Error).message}`);
      }
    }
    const forge = props.notifyUrl !== undefined && (props.notifyFormat === 'github' || props.notifyFormat === 'gitlab');
    const secret = props.credentialsSecret ?? 'synthops-git';
    const obj = (kid: string, body: Record<string, unknown>) => new ApiObject(this, kid, body as never);
    // Cluster-scoped names (and Roles outside its namespace) carry the namespace, so several agents can share a cluster.
    const clusterName = `${NAME}-${ns}`;
    const adminBinding = `${clusterName}-cluster-admin`;
    const done = (): Computed => {
      if (!this.computed)
        throw new Error(
          `${this.node.path}: AgentInstall computes its RBAC from every app of the environment; render it with synthops synth`,
        );
      return this.computed;
    };
    const rulesIn = (namespace: string | undefined) =>
      Lazy.any({
        produce: () =>
          done()
            .grants.filter((g) => g.namespace === namespace)
            .map((g) => g.rule),
      });

    obj('service-account', { apiVersion: 'v1', kind: 'ServiceAccount', metadata: { name: NAME } });
    obj('appsync-crd', { ...STATUS_CRD, metadata: { ...STATUS_CRD.metadata } });
    obj('gitsource-crd', { ...GITSOURCE_CRD, metadata: { ...GITSOURCE_CRD.metadata } });
    obj('cluster-role', {
      apiVersion: 'rbac.authorization.k8s.io/v1',
      kind: 'ClusterRole',
      metadata: { name: clusterName },
      rules: rulesIn(undefined),
    });
    const bindTo = (
      kid: string,
      kind: 'ClusterRoleBinding' | 'RoleBinding',
      name: string,
      roleKind: 'ClusterRole' | 'Role',
      role: string,
      namespace?: string,
    ) =>
      obj(kid, {
        apiVersion: 'rbac.authorization.k8s.io/v1',
        kind,
        metadata: { name, ...(namespace ? { namespace } : {}) },
        roleRef: { apiGroup: RBAC_GROUP, kind: roleKind, name: role },
        subjects: [{ kind: 'ServiceAccount', name: NAME, namespace: ns }],
      });
    bindTo('cluster-role-binding', 'ClusterRoleBinding', clusterName, 'ClusterRole', clusterName);
    // Everything, everywhere: the agent can then apply any app without a ServiceAccount.
    if (props.permissions === 'cluster-admin')
      bindTo('cluster-admin-binding', 'ClusterRoleBinding', adminBinding, 'ClusterRole', 'cluster-admin');
    obj('role', {
      apiVersion: 'rbac.authorization.k8s.io/v1',
      kind: 'Role',
      metadata: { name: NAME },
      rules: rulesIn(ns),
    });
    bindTo('role-binding', 'RoleBinding', NAME, 'Role', NAME);

    whenEnvironmentComplete(this, app.appName, (apps) => {
      this.computed = computeGrants({
        ns,
        appName: app.appName,
        clusterName,
        adminBinding,
        props,
        apps,
        gitSources: GitSource.allIn(app),
      });
      // A Role and its binding in each namespace where the agent holds rights.
      for (const where of sorted(
        this.computed.grants.flatMap((g) => (g.namespace && g.namespace !== ns ? [g.namespace] : [])),
      )) {
        obj(`role-${where}`, {
          apiVersion: 'rbac.authorization.k8s.io/v1',
          kind: 'Role',
          metadata: { name: clusterName, namespace: where },
          rules: rulesIn(where),
        });
        bindTo(`role-binding-${where}`, 'RoleBinding', clusterName, 'Role', clusterName, where);
      }
    });

    const labels = { 'app.kubernetes.io/name': NAME };
    const args = () => [
      'agent',
      '--repo',
      props.repo,
      '--branch',
      props.branch,
      '--path',
      props.path ?? '.',
      '--env',
      props.env ?? app.env.name,
      '--interval',
      props.interval ?? '1m',
      '--listen',
      String(PORT),
      '--agent-namespace',
      ns,
      // Its namespace is reserved for its own app; it impersonates exactly these accounts.
      '--own-app',
      app.appName,
      '--allowed-service-accounts',
      done().allowedServiceAccounts.join(','),
      '--webhook-secret-file',
      `${SECRET_DIR}/webhook-secret`,
      ...(replicas > 1 ? ['--leader-elect'] : []),
      ...(props.notifyUrl ? ['--notify-url', props.notifyUrl] : []),
      ...(props.notifyFormat ? ['--notify-format', props.notifyFormat] : []),
      ...(props.notifyTemplate !== undefined ? ['--notify-template', props.notifyTemplate] : []),
      ...(props.notifyRepo ? ['--notify-repo', props.notifyRepo] : []),
      ...(forge ? ['--notify-token-file', `${SECRET_DIR}/notify-token`] : []),
      ...(props.decryptionSecret ? ['--decryption-secret', props.decryptionSecret] : []),
      ...(props.source ? ['--source', props.source] : []),
      ...(props.verifySignatures
        ? [
            '--verify-signatures',
            '--allowed-signers',
            `${SIGNERS_DIR}/allowed_signers`,
            ...(props.verifySignatures.revokedKeys ? ['--revoked-keys', `${SIGNERS_DIR}/revoked_keys`] : []),
          ]
        : []),
    ];
    obj('deployment', {
      apiVersion: 'apps/v1',
      kind: 'Deployment',
      metadata: { name: NAME },
      spec: {
        replicas,
        selector: { matchLabels: labels },
        template: {
          metadata: { labels },
          spec: {
            serviceAccountName: NAME,
            securityContext: {
              runAsNonRoot: true,
              runAsUser: 10001,
              runAsGroup: 10001,
              fsGroup: 10001,
              seccompProfile: { type: 'RuntimeDefault' },
            },
            containers: [
              {
                name: 'agent',
                image: props.image,
                args: Lazy.any({ produce: args }),
                env: [
                  {
                    name: 'SYNTHOPS_GIT_TOKEN',
                    valueFrom: { secretKeyRef: { name: secret, key: 'token', optional: true } },
                  },
                ],
                ports: [{ name: 'http', containerPort: PORT }],
                livenessProbe: { httpGet: { path: '/healthz', port: PORT }, periodSeconds: 10 },
                readinessProbe: { httpGet: { path: '/readyz', port: PORT }, periodSeconds: 5 },
                resources: { requests: { cpu: '100m', memory: '128Mi' }, limits: { cpu: '1', memory: '512Mi' } },
                securityContext: {
                  allowPrivilegeEscalation: false,
                  readOnlyRootFilesystem: true,
                  runAsNonRoot: true,
                  capabilities: { drop: ['ALL'] },
                },
                volumeMounts: [
                  { name: 'tmp', mountPath: '/tmp' },
                  { name: 'webhook-secret', mountPath: SECRET_DIR, readOnly: true },
                  ...(props.verifySignatures ? [{ name: 'signers', mountPath: SIGNERS_DIR, readOnly: true }] : []),
                ],
              },
            ],
            volumes: [
              { name: 'tmp', emptyDir: { sizeLimit: props.tmpSizeLimit ?? '1Gi' } },
              // A file, not an environment variable; absent (webhooks refused) when the Secret has no such key.
              {
                name: 'webhook-secret',
                secret: {
                  secretName: secret,
                  optional: true,
                  defaultMode: 0o440,
                  items: [
                    { key: 'webhook-secret', path: 'webhook-secret' },
                    // The forge token of commit statuses, a file like the webhook secret.
                    ...(forge ? [{ key: 'notify-token', path: 'notify-token' }] : []),
                  ],
                },
              },
              // Who may sign the deploy branch: public keys, as files the agent reads on each fetch.
              ...(props.verifySignatures
                ? [
                    {
                      name: 'signers',
                      secret: {
                        secretName: props.verifySignatures.secretName,
                        defaultMode: 0o440,
                        items: [
                          { key: 'allowed_signers', path: 'allowed_signers' },
                          ...(props.verifySignatures.revokedKeys
                            ? [{ key: 'revoked_keys', path: 'revoked_keys' }]
                            : []),
                        ],
                      },
                    },
                  ]
                : []),
            ],
          },
        },
      },
    });
    obj('service', {
      apiVersion: 'v1',
      kind: 'Service',
      metadata: { name: NAME },
      spec: { selector: labels, ports: [{ name: 'http', port: 80, targetPort: PORT }] },
    });
  }

  /**
   * Every right of the agent with where it holds and why: its ClusterRole (grants
   * without a namespace) and its Roles are exactly these rules. Known once the
   * environment is complete (during synth).
   */
  public get grants(): readonly AgentGrant[] {
    if (!this.computed)
      throw new Error(`${this.node.path}: the grants are computed when synthops synth renders the environment`);
    return this.computed.grants;
  }
}

interface GrantInputs {
  readonly ns: string;
  readonly appName: string;
  readonly clusterName: string;
  readonly adminBinding: string;
  readonly props: AgentInstallProps;
  readonly apps: readonly CatalogApp[];
  /** The GitSources of the agent's own app. */
  readonly gitSources: readonly GitSource[];
}

/** The agent's rights, from every app of its environment. */
function computeGrants(i: GrantInputs): Computed {
  const { ns, props } = i;
  const grants: AgentGrant[] = [];
  const grant = (namespace: string | undefined, rule: PolicyRule, why: string) =>
    grants.push({ ...(namespace ? { namespace } : {}), rule, why });
  const own = i.apps.find((a) => a.name === i.appName);
  const others = i.apps.filter((a) => a.name !== i.appName);
  const asAccount = others.filter((a) => a.serviceAccount);
  const asItself = others.filter((a) => !a.serviceAccount);
  const writesItself = Array.isArray(props.permissions);
  const usable = (namespace: string | undefined) =>
    namespace !== undefined && namespace !== ns && !PROTECTED_NAMESPACES.has(namespace);

  // Reads, for the drift watch and health: cluster-scoped kinds cluster-wide; namespaced
  // kinds only in the namespaces of the apps applied as their ServiceAccount (their
  // namespaces exist before the agent does), cluster-wide for apps it writes itself
  // (their writes are cluster-wide rules too).
  const clusterScoped = i.apps.flatMap((a) => a.objects.filter((o) => !o.namespace));
  const nsObject: CatalogObject = { apiVersion: 'v1', kind: 'Namespace', name: ns };
  if (props.manages) {
    for (const m of props.manages)
      grant(
        undefined,
        { apiGroups: [m.apiGroup], resources: sorted(m.resources), verbs: READ },
        'read and watch for drift (the `manages` setting)',
      );
    const ownClusterScoped = (own?.objects ?? []).filter((o) => !o.namespace);
    for (const r of readRules([...ownClusterScoped, nsObject]))
      grant(undefined, r, 'read and watch its own cluster-scoped objects (drift), and see whether namespaces exist');
  } else {
    for (const r of readRules([...clusterScoped, nsObject]))
      grant(undefined, r, 'read and watch the cluster-scoped objects of the environment (drift, health)');
    if (writesItself) {
      for (const r of readRules(asItself.flatMap((a) => a.objects.filter((o) => o.namespace))))
        grant(undefined, r, 'read and watch the objects of the apps it writes itself (`permissions`)');
    }
  }

  const crds = sorted([
    STATUS_CRD.metadata.name,
    GITSOURCE_CRD.metadata.name,
    ...(writesItself || props.permissions === 'cluster-admin' ? asItself : []).flatMap((a) =>
      a.objects.filter(isCrd).map((o) => o.name),
    ),
  ]);
  grant(
    undefined,
    {
      apiGroups: ['apiextensions.k8s.io'],
      resources: ['customresourcedefinitions'],
      resourceNames: crds,
      verbs: ['create', 'get', 'patch', 'update'],
    },
    'install the AppSync and GitSource CRDs (and the CRDs of the apps it writes itself), by name, and see them Established',
  );
  grant(
    undefined,
    { apiGroups: [''], resources: ['namespaces'], resourceNames: [ns], verbs: ['create', 'patch', 'update'] },
    'its own namespace',
  );
  grant(
    undefined,
    {
      apiGroups: [RBAC_GROUP],
      resources: ['clusterrolebindings', 'clusterroles'],
      resourceNames: sorted([i.clusterName, ...(props.permissions === 'cluster-admin' ? [i.adminBinding] : [])]),
      verbs: ['get', 'patch', 'update'],
    },
    're-apply its own ClusterRole and binding; without escalate and bind it can grant only what it holds',
  );
  if (Array.isArray(props.permissions))
    for (const r of props.permissions)
      grant(undefined, r, 'writes of the apps without a ServiceAccount (`permissions`)');

  // Its own namespace: its state, and its own objects by name.
  const ownNames = [NAME];
  grant(
    ns,
    {
      apiGroups: [''],
      resources: ['configmaps'],
      verbs: ['create', 'delete', 'get', 'list', 'patch', 'update', 'watch'],
    },
    'inventories, one per app (named after it); the namespace is reserved for its own app',
  );
  grant(ns, { apiGroups: [''], resources: ['events'], verbs: ['create'] }, 'Events on AppSyncs');
  grant(
    ns,
    {
      apiGroups: ['synthops.dev'],
      resources: ['appsyncs', 'appsyncs/status'],
      verbs: ['create', 'delete', 'get', 'list', 'patch', 'update', 'watch'],
    },
    'the AppSync of each app',
  );
  grant(
    ns,
    { apiGroups: ['coordination.k8s.io'], resources: ['leases'], verbs: ['create'] },
    'leader election (a create names no object to restrict by)',
  );
  grant(
    ns,
    { apiGroups: ['coordination.k8s.io'], resources: ['leases'], resourceNames: ownNames, verbs: ['get', 'update'] },
    'leader election',
  );
  grant(
    ns,
    { apiGroups: ['synthops.dev'], resources: ['gitsources'], verbs: READ },
    'the GitSources of its namespace: one more source each',
  );
  grant(
    ns,
    { apiGroups: ['synthops.dev'], resources: ['gitsources/status'], verbs: ['get', 'patch', 'update'] },
    'the status of each GitSource',
  );
  const sourceNames = sorted(i.gitSources.map((g) => g.sourceName));
  if (sourceNames.length > 0)
    grant(
      ns,
      {
        apiGroups: ['synthops.dev'],
        resources: ['gitsources'],
        resourceNames: sourceNames,
        verbs: ['create', 'delete', 'patch', 'update'],
      },
      'apply the GitSources of its own app, by name, and prune one that leaves Git',
    );
  const sourceSecrets = sorted([
    ...(props.sourceSecrets ?? []),
    ...i.gitSources.flatMap((g) => (g.secretName ? [g.secretName] : [])),
  ]);
  if (sourceSecrets.length > 0)
    grant(
      ns,
      { apiGroups: [''], resources: ['secrets'], resourceNames: sourceSecrets, verbs: ['get'] },
      'the Git credentials of its GitSources: these Secrets, by name',
    );
  if (props.decryptionSecret)
    grant(
      ns,
      { apiGroups: [''], resources: ['secrets'], resourceNames: [props.decryptionSecret], verbs: ['get'] },
      'its age identities for SOPS-encrypted objects: this one Secret, by name',
    );
  // Its GitSources have their own rules above.
  const ownNamespaced = readRules((own?.objects ?? []).filter((o) => o.namespace === ns && o.kind !== GITSOURCE_KIND));
  for (const r of ownNamespaced) grant(ns, r, 'read and watch its own objects (drift)');
  for (const r of ownNamespaced) {
    const resources = r.resources.filter((x) => x !== 'configmaps');
    if (resources.length > 0)
      grant(
        ns,
        { apiGroups: r.apiGroups, resources, resourceNames: ownNames, verbs: ['create', 'patch', 'update'] },
        'apply its own objects, by name (roll itself from Git)',
      );
  }

  // Every other namespace it has a reason to be in: reads, impersonation, and its Role there.
  const allowed =
    (props.impersonate ?? true)
      ? sorted(
          [...asAccount.map((a) => a.serviceAccount!), ...i.gitSources.flatMap((g) => g.serviceAccount ?? [])].filter(
            (sa) => usable(sa.split('/')[0]),
          ),
        )
      : [];
  const reads = new Map<string, CatalogObject[]>();
  const accounts = new Map<string, string[]>();
  if (!props.manages) {
    for (const a of asAccount)
      for (const o of a.objects)
        if (usable(o.namespace)) reads.set(o.namespace!, [...(reads.get(o.namespace!) ?? []), o]);
  }
  for (const sa of allowed) {
    const [where, name] = sa.split('/');
    accounts.set(where, [...(accounts.get(where) ?? []), name]);
  }
  for (const where of sorted([...reads.keys(), ...accounts.keys()])) {
    const self: CatalogObject[] = [
      { apiVersion: 'rbac.authorization.k8s.io/v1', kind: 'Role', name: i.clusterName, namespace: where },
      { apiVersion: 'rbac.authorization.k8s.io/v1', kind: 'RoleBinding', name: i.clusterName, namespace: where },
    ];
    for (const r of readRules([...(reads.get(where) ?? []), ...self]))
      grant(where, r, 'read and watch the objects of the apps there (drift, health), and its own Role there');
    if (accounts.has(where))
      grant(
        where,
        {
          apiGroups: [''],
          resources: ['serviceaccounts'],
          resourceNames: sorted(accounts.get(where)!),
          verbs: ['impersonate'],
        },
        'apply the apps that name these ServiceAccounts as those accounts',
      );
    grant(
      where,
      {
        apiGroups: [RBAC_GROUP],
        resources: ['rolebindings', 'roles'],
        resourceNames: [i.clusterName],
        verbs: ['patch', 'update'],
      },
      're-apply its own Role there; it can grant only what it holds',
    );
  }
  return { grants, allowedServiceAccounts: allowed };
}
