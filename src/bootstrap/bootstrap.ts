import { BOOTSTRAP_FIELD_MANAGER } from '../model/keys';
import { KubeClient } from '../kube/client';
import { ReconcileResult, reconcile } from '../agent/reconcile/reconcile';
import { GitAuth, Revision } from '../agent/source/fetch';
import { fetchAndLoad } from '../agent/reconcile/step';
import { SynthopsError } from '../model/errors';
import { Manifest } from '../model/manifest';
import { defaultSourceName } from '../model/source';
import { redactUrl } from '../git/client';

/** Options of {@link bootstrap}. */
export interface BootstrapOptions {
  readonly client: KubeClient;
  readonly repo: string;
  readonly branch: string;
  /** Folder in the branch. @default '.' */
  readonly path?: string;
  /** Environment of the synth output (required when it has several). @default - the output's only environment */
  readonly env?: string;
  /** The app that installs the agent. @default 'synthops-agent' */
  readonly app?: string;
  readonly workdir: string;
  /** Credentials to read the branch now; the token also goes into the agent's Secret. @default - none: git's own setup applies, no token goes into the Secret */
  readonly auth?: GitAuth;
  /** Webhook secret for the agent's Secret. @default - none in the Secret */
  readonly webhookSecret?: string;
  /** Name of the credentials Secret. @default 'synthops-git' */
  readonly secretName?: string;
  /** Server-side dry-run only. @default false */
  readonly dryRun?: boolean;
  /** How long to wait for the agent to be ready. @default 3 min */
  readonly timeoutMs?: number;
}

/** What bootstrap did. */
export interface BootstrapResult {
  readonly revision: Revision;
  readonly namespace: string;
  readonly result: ReconcileResult;
  readonly secret: 'created' | 'updated' | 'unchanged' | 'skipped';
}

/** The agent's app is missing or unusable in the deploy branch. */
export class BootstrapError extends SynthopsError {}

/**
 * The source the installed agent will run as, read from its Deployment's arguments
 * (`--source`, else `--repo`, `--branch` and `--path`): what bootstrap records its
 * inventory under, so the agent finds its own app as its own. Undefined when the
 * arguments do not say (the bootstrap's own source is used).
 */
export function agentSourceName(deployment: Manifest): string | undefined {
  const containers =
    (deployment.spec as { template?: { spec?: { containers?: Array<{ args?: string[] }> } } } | undefined)?.template
      ?.spec?.containers ?? [];
  const args = containers.map((c) => c.args ?? []).find((a) => a[0] === 'agent');
  if (!args) return undefined;
  const flag = (name: string) => {
    const i = args.indexOf(name);
    return i >= 0 ? args[i + 1] : undefined;
  };
  const [source, repo, branch] = [flag('--source'), flag('--repo'), flag('--branch')];
  if (source) return source;
  return repo && branch ? defaultSourceName({ url: redactUrl(repo), branch, path: flag('--path') }) : undefined;
}

/**
 * Installs the agent from Git: reads the agent's own app from the deploy branch,
 * creates its namespace and the Git credentials Secret, then applies the app exactly
 * as the agent would (validation, server-side apply, inventory in the agent's
 * namespace) and waits until the agent's Deployment is available. The running agent
 * then finds its own app already in its inventory and manages it from Git like any
 * other. Safe to run again.
 */
export async function bootstrap(o: BootstrapOptions): Promise<BootstrapResult> {
  const appName = o.app ?? 'synthops-agent';
  const loaded = await fetchAndLoad(
    { url: o.repo, branch: o.branch, workdir: o.workdir, auth: o.auth },
    { path: o.path, env: o.env },
  );
  const { revision } = loaded;
  const app = loaded.apps.find((a) => a.name === appName);
  if (!app)
    throw new BootstrapError(
      `the deploy branch has no app "${appName}" in environment ${loaded.env} (apps: ${loaded.apps.map((a) => a.name).join(', ') || 'none'}); add an AgentInstall app and publish`,
    );
  const deployment = app.objects
    .map((d) => d.manifest)
    .find((m) => m.kind === 'Deployment' && m.apiVersion === 'apps/v1');
  const namespace = deployment?.metadata.namespace;
  if (!deployment || !namespace)
    throw new BootstrapError(`app "${appName}" has no namespaced Deployment; is it an AgentInstall?`);

  // The namespace and the Secret come first, so the agent's Pod starts with its credentials.
  const namespaceExists = (await o.client.getOrUndefined(`/api/v1/namespaces/${namespace}`)) !== undefined;
  // So do the other namespaces the agent gets a Role in (those of the apps it applies as
  // their ServiceAccounts): only an admin can create its Roles there, so bootstrap does.
  const others = [
    ...new Set(
      app.objects.map((d) => d.manifest.metadata.namespace).filter((n): n is string => Boolean(n) && n !== namespace),
    ),
  ].sort();
  for (const ns of o.dryRun ? [] : [namespace, ...others]) {
    if (ns !== namespace && (await o.client.getOrUndefined(`/api/v1/namespaces/${ns}`)) !== undefined) continue;
    if (ns === namespace && namespaceExists) continue;
    // Its own field manager: an app's Namespace object (labels, annotations) stays synthops's.
    await o.client.apply(
      `/api/v1/namespaces/${ns}`,
      { apiVersion: 'v1', kind: 'Namespace', metadata: { name: ns } },
      { fieldManager: BOOTSTRAP_FIELD_MANAGER },
    );
  }
  let secret: BootstrapResult['secret'] = 'skipped';
  const data: Record<string, string> = {};
  if (o.auth?.token) data.token = o.auth.token;
  if (o.webhookSecret) data['webhook-secret'] = o.webhookSecret;
  // A dry run cannot check a Secret in a namespace that does not exist yet.
  if (Object.keys(data).length > 0 && (namespaceExists || !o.dryRun)) {
    const name = o.secretName ?? 'synthops-git';
    const path = `/api/v1/namespaces/${namespace}/secrets/${name}`;
    const before = await o.client.getOrUndefined<{ data?: Record<string, string> }>(path);
    const encoded = Object.fromEntries(Object.entries(data).map(([k, v]) => [k, Buffer.from(v).toString('base64')]));
    const same = before?.data && Object.entries(encoded).every(([k, v]) => before!.data![k] === v);
    if (!same) {
      // The Secret is not in Git: the bootstrap manager owns it.
      await o.client.apply(
        path,
        { apiVersion: 'v1', kind: 'Secret', metadata: { name, namespace }, type: 'Opaque', data: encoded },
        { fieldManager: BOOTSTRAP_FIELD_MANAGER, dryRun: o.dryRun },
      );
    }
    secret = same ? 'unchanged' : before ? 'updated' : 'created';
  }

  const result = await reconcile({
    client: o.client,
    loaded: { ...loaded, apps: [app] },
    dryRun: o.dryRun,
    inventoryNamespace: namespace,
    source: agentSourceName(deployment),
    onlyApps: new Set([appName]),
    wait: { timeoutMs: o.timeoutMs ?? 180_000 },
  });
  return { revision, namespace, result, secret };
}
