import { StatusStore } from '../agent/state/status-store';
import { RECONCILE_REQUEST_ANNOTATION, SUSPEND_ANNOTATION } from '../model/keys';
import { appLabel, selectAppSyncs } from './app-select';
import { agentNamespaceOf } from './cluster-options';
import { duration } from './flags';
import { ClusterFlags, clusterClient } from './kube-flags';
import { Output } from './output';
import { patchAppSync, requestToken, waitForRequest } from './reconcile';

/** Flags of `synthops suspend` and `synthops resume`. */
export interface SuspendCommandOptions extends ClusterFlags {
  /** `-n, --namespace`: the agent's namespace. @default 'synthops-system' */
  readonly namespace?: string;
  /** `--agent-namespace`, the older spelling of `--namespace`. @default 'synthops-system' */
  readonly agentNamespace?: string;
  /** `--env`: the app's environment, when it is in several. @default - its only environment */
  readonly env?: string;
  /** `--wait` (resume): wait until the agent reconciled the app; exit 0 only when converged. @default false */
  readonly wait?: boolean;
  /** `--timeout` of `--wait`. @default '5m' */
  readonly timeout?: string;
}

/**
 * `synthops suspend app` / `synthops resume app`: sets or removes `synthops.dev/suspend`
 * on the app's AppSync (resume also clears `spec.suspend`). Either also asks for a
 * reconcile, so the status says at once what the app now is (Suspended, with its drift;
 * or applied again).
 */
export async function runSuspend(
  app: string,
  suspend: boolean,
  opts: SuspendCommandOptions,
  io: Output,
): Promise<number> {
  const timeoutMs = duration('--timeout', opts.timeout ?? '5m');
  const client = clusterClient(opts);
  try {
    const store = new StatusStore(client, agentNamespaceOf(opts));
    const [sync] = await selectAppSyncs(store, { app, env: opts.env }, true);
    const token = requestToken();
    const annotations = { [SUSPEND_ANNOTATION]: suspend ? 'true' : null, [RECONCILE_REQUEST_ANNOTATION]: token };
    await patchAppSync(client, sync, {
      metadata: { annotations },
      ...(!suspend && sync.spec.suspend ? { spec: { suspend: null } } : {}),
    });
    io.out(
      suspend
        ? `${appLabel(sync)}: suspended; the agent writes nothing for it until \`synthops resume ${app}\` (drift is still reported)`
        : `${appLabel(sync)}: resumed; the agent reconciles it now`,
    );
    if (!opts.wait || suspend) return 0;
    return (await waitForRequest(store, [sync], token, timeoutMs, io)) ? 0 : 1;
  } finally {
    client.close();
  }
}
