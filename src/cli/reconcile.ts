import { AppSync, StatusStore } from '../agent/state/status-store';
import { KubeClient } from '../kube/client';
import { PLURAL, STATUS_API_VERSION } from '../model/appsync';
import { CLI_FIELD_MANAGER, RECONCILE_REQUEST_ANNOTATION } from '../model/keys';
import { UsageError } from '../model/errors';
import { appLabel, isSuspended, selectAppSyncs } from './app-select';
import { agentNamespaceOf } from './cluster-options';
import { duration } from './flags';
import { formatDuration } from '../model/duration';
import { ClusterFlags, clusterClient } from './kube-flags';
import { Output } from './output';
import { oneLine } from './output-format';

/** Flags of `synthops reconcile`. */
export interface ReconcileCommandOptions extends ClusterFlags {
  /** `-n, --namespace`: the agent's namespace. @default 'synthops-system' */
  readonly namespace?: string;
  /** `--agent-namespace`, the older spelling of `--namespace`. @default 'synthops-system' */
  readonly agentNamespace?: string;
  /** `--env`: only this environment. @default - every environment */
  readonly env?: string;
  /** `--source`: only the apps of this source. @default - every source */
  readonly source?: string;
  /** `--wait`: wait until the agent reconciled; exit 0 only when converged. @default false */
  readonly wait?: boolean;
  /** `--timeout` of `--wait`. @default '5m' */
  readonly timeout?: string;
}

/** Sends a JSON merge patch to an AppSync as the CLI's field manager. */
export async function patchAppSync(client: KubeClient, sync: AppSync, patch: Record<string, unknown>): Promise<void> {
  await client.request(
    'PATCH',
    `/apis/${STATUS_API_VERSION}/namespaces/${sync.metadata.namespace}/${PLURAL}/${sync.metadata.name}`,
    {
      body: patch,
      contentType: 'application/merge-patch+json',
      query: { fieldManager: CLI_FIELD_MANAGER },
    },
  );
}

/** A new request value: the time, RFC 3339 with milliseconds, so two requests differ. */
export function requestToken(now = new Date()): string {
  return now.toISOString();
}

/** Where one app is in answering a request. */
export type RequestState =
  | { readonly done: false; readonly line: string }
  | { readonly done: true; readonly converged: boolean; readonly line: string };

/** How far the agent got with the request `token` on `sync` (pure). */
export function requestState(sync: AppSync | undefined, token: string): RequestState {
  if (!sync)
    return { done: true, converged: false, line: 'the AppSync is gone (the app left Git, or its agent removed it)' };
  const st = sync.status ?? {};
  const ready = st.conditions?.find((c) => c.type === 'Ready');
  const reconciling = st.conditions?.find((c) => c.type === 'Reconciling');
  const state = ready ? `Ready ${ready.status} (${ready.reason}): ${oneLine(ready.message, 100)}` : 'never reconciled';
  if (st.lastHandledReconcileAt !== token)
    return { done: false, line: `waiting for the agent to pick up the request; now ${state}` };
  if (ready?.status === 'True')
    return {
      done: true,
      converged: true,
      line: `converged at revision ${st.lastAppliedRevision?.slice(0, 12) ?? '?'}`,
    };
  if (isSuspended(sync))
    return {
      done: true,
      converged: false,
      line: `reconciled, but suspended: ${state} (synthops resume ${sync.spec.app} lifts it)`,
    };
  // Applied and waiting for health: the agent updates the status when it settles.
  if (reconciling?.status === 'True') return { done: false, line: `reconciled; ${state}` };
  return { done: true, converged: false, line: `reconciled, not converged: ${state}` };
}

/**
 * Waits until the agent handled `token` on every AppSync and each converged or failed,
 * printing each app's state when it changes (and a reminder every 5 s). Resolves true
 * when all converged.
 */
export async function waitForRequest(
  store: StatusStore,
  syncs: readonly AppSync[],
  token: string,
  timeoutMs: number,
  io: Output,
): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  const last = new Map<string, string>();
  const open = new Set(syncs.map((s) => s.metadata.name));
  let ok = true;
  let quietSince = Date.now();
  while (open.size > 0) {
    for (const s of syncs.filter((x) => open.has(x.metadata.name))) {
      const state = requestState(await store.get(s.spec.env, s.spec.app), token);
      if (last.get(s.metadata.name) !== state.line) {
        io.out(`${appLabel(s)}: ${state.line}`);
        last.set(s.metadata.name, state.line);
        quietSince = Date.now();
      }
      if (state.done) {
        open.delete(s.metadata.name);
        ok &&= state.converged;
      }
    }
    if (open.size === 0) break;
    if (Date.now() > deadline) {
      io.err(
        `error: timed out after ${formatDuration(timeoutMs)} waiting for ${[...open].join(', ')}: is the agent running and watching namespace ${store.namespace}?`,
      );
      return false;
    }
    if (Date.now() - quietSince >= 5000) {
      io.out(
        `still waiting for ${[...open].join(', ')} (${formatDuration(Math.max(0, Math.round((deadline - Date.now()) / 1000)) * 1000)} left)`,
      );
      quietSince = Date.now();
    }
    await new Promise((r) => setTimeout(r, 500));
  }
  return ok;
}

/** `synthops reconcile [app]`: asks the running agent to reconcile now; with `--wait`, exit 0 only when converged. */
export async function runReconcile(
  app: string | undefined,
  opts: ReconcileCommandOptions,
  io: Output,
): Promise<number> {
  const timeoutMs = duration('--timeout', opts.timeout ?? '5m');
  const namespace = agentNamespaceOf(opts);
  const client = clusterClient(opts);
  try {
    const store = new StatusStore(client, namespace);
    const syncs = await selectAppSyncs(store, { app, env: opts.env, source: opts.source });
    if (syncs.length === 0)
      throw new UsageError(
        `no apps to reconcile in namespace ${namespace}${opts.source ? ` for source ${opts.source}` : ''}${opts.env ? ` in env ${opts.env}` : ''}`,
      );
    const token = requestToken();
    for (const s of syncs) {
      await patchAppSync(client, s, { metadata: { annotations: { [RECONCILE_REQUEST_ANNOTATION]: token } } });
      io.out(`${appLabel(s)}: reconcile requested (${RECONCILE_REQUEST_ANNOTATION}=${token})`);
    }
    if (!opts.wait) return 0;
    return (await waitForRequest(store, syncs, token, timeoutMs, io)) ? 0 : 1;
  } finally {
    client.close();
  }
}
