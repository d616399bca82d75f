import { AppSync, PLURAL, STATUS_API_VERSION, STATUS_KIND, appSyncName } from '../../model/appsync';
import { RECONCILE_REQUEST_ANNOTATION } from '../../model/keys';
import { KubeClient } from '../../kube/client';
import { Logger } from './log';

/**
 * Field manager of `status.lastHandledReconcileAt`. Apart from the status writer's:
 * that one replaces the rest of the status on every reconcile, and a field it does not
 * own survives its writes (server-side apply removes only what a manager gave up).
 */
export const REQUESTS_FIELD_MANAGER = 'synthops-requests';

/** Open requests when a cycle starts, by AppSync name: that cycle handles exactly these. */
export type RequestSnapshot = ReadonlyMap<string, string>;

/** The reconcile request an AppSync carries and the agent has not handled yet (its annotation's value), if any. */
export function openRequest(sync: Pick<AppSync, 'metadata' | 'status'>): string | undefined {
  const token = sync.metadata.annotations?.[RECONCILE_REQUEST_ANNOTATION];
  return token && token !== sync.status?.lastHandledReconcileAt ? token : undefined;
}

/**
 * Reconcile requests made on AppSyncs (`synthops reconcile`, like Flux's
 * `reconcile.fluxcd.io/requestedAt`): a new annotation value asks for a reconcile of
 * that app at once, and once a reconcile that started after the request is recorded,
 * the value goes to `status.lastHandledReconcileAt` (what `reconcile --wait` waits for).
 * The controller feeds it every AppSync its watch sees and tells it which apps each
 * cycle reconciled.
 */
export class ReconcileRequests {
  private readonly open = new Map<string, string>();

  /**
   * @param env the environment the agent applies, once known (AppSyncs of others are not its business)
   * @param onRequest asks the controller to reconcile one app
   */
  constructor(
    private readonly client: KubeClient,
    private readonly namespace: string,
    private readonly log: Logger,
    private readonly env: () => string | undefined,
    private readonly onRequest: (app: string) => void,
  ) {}

  /** An AppSync was listed or changed. */
  public seen(sync: AppSync): void {
    const token = openRequest(sync);
    const name = sync.metadata.name;
    const env = this.env();
    if (!token || !sync.spec?.app || (env !== undefined && sync.spec.env !== env)) return;
    // Our own status writes come back through the watch: a request is asked for once.
    if (this.open.get(name) === token) return;
    this.open.set(name, token);
    this.log.info({ app: sync.spec.app, env: sync.spec.env, requestedAt: token }, 'reconcile requested');
    this.onRequest(sync.spec.app);
  }

  /** The open requests, taken when a cycle starts: a request seen later waits for the next cycle. */
  public snapshot(): RequestSnapshot {
    return new Map(this.open);
  }

  /** A cycle that started with `snapshot` recorded `apps` of `env`: their requests are handled. */
  public async handled(snapshot: RequestSnapshot, env: string, apps: Iterable<string>): Promise<void> {
    for (const app of apps) {
      const name = appSyncName(env, app);
      const token = snapshot.get(name);
      if (!token) continue;
      const body = {
        apiVersion: STATUS_API_VERSION,
        kind: STATUS_KIND,
        metadata: { name, namespace: this.namespace },
        status: { lastHandledReconcileAt: token },
      };
      try {
        await this.client.apply(
          `/apis/${STATUS_API_VERSION}/namespaces/${this.namespace}/${PLURAL}/${name}/status`,
          body,
          { fieldManager: REQUESTS_FIELD_MANAGER },
        );
      } catch (e) {
        // Left open: the next cycle handles it again.
        this.log.warn({ app, err: (e as Error).message }, 'recording the handled reconcile request failed');
        continue;
      }
      if (this.open.get(name) === token) this.open.delete(name);
    }
  }
}
