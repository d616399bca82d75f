import { PLURAL, STATUS_API_VERSION } from '../../model/appsync';
import { isGone } from '../../kube/errors';
import { KubeClient } from '../../kube/client';
import { AppSync } from '../state/status-store';
import { Logger } from './log';

/** How long to wait before watching again after an error (the CRD may not be installed yet). */
const RETRY_MS = 2000;

/**
 * Watches the AppSyncs of the agent's namespace and reports each one it sees (the
 * initial list, then every change), so that what operators change there (lifting a
 * suspend) is acted on at once instead of at the next poll. Read-only.
 */
export class AppSyncWatcher {
  /** The current watch; a new start after a stop gets a new one, so an old loop cannot outlive its stop. */
  private session?: { stopped: boolean; abort: () => void };

  constructor(
    private readonly client: KubeClient,
    private readonly namespace: string,
    private readonly log: Logger,
    private readonly onSeen: (sync: AppSync) => void,
  ) {}

  /** Starts watching (no-op while watching). */
  public start(): void {
    if (this.session) return;
    this.session = { stopped: false, abort: () => undefined };
    void this.run(this.session);
  }

  private async run(session: { stopped: boolean; abort: () => void }): Promise<void> {
    const path = `/apis/${STATUS_API_VERSION}/namespaces/${this.namespace}/${PLURAL}`;
    let resourceVersion: string | undefined;
    while (!session.stopped) {
      try {
        if (!resourceVersion) {
          const list = await this.client.request<{ metadata: { resourceVersion: string }; items: AppSync[] }>(
            'GET',
            path,
          );
          resourceVersion = list.metadata.resourceVersion;
          if (session.stopped) return;
          for (const s of list.items) this.onSeen(s);
        }
        const h = this.client.watch(
          path,
          { resourceVersion, allowWatchBookmarks: 'true', timeoutSeconds: '300' },
          (e) => {
            if (e.type === 'ERROR') {
              if (e.object.code === 410) resourceVersion = undefined; // too old: list again
              return;
            }
            const rv = e.object.metadata?.resourceVersion;
            if (rv) resourceVersion = rv;
            if (!session.stopped && (e.type === 'ADDED' || e.type === 'MODIFIED'))
              this.onSeen(e.object as unknown as AppSync);
          },
        );
        session.abort = h.abort;
        if (session.stopped) h.abort();
        await h.done;
      } catch (e) {
        if (session.stopped) return;
        if (isGone(e)) resourceVersion = undefined;
        this.log.debug({ err: (e as Error).message }, 'AppSync watch interrupted; retrying');
        // Unref'd: a watch waiting to retry keeps no stopping process alive.
        await new Promise((r) => setTimeout(r, RETRY_MS).unref());
      }
    }
  }

  /** Stops watching. */
  public stop(): void {
    if (!this.session) return;
    this.session.stopped = true;
    this.session.abort();
    this.session = undefined;
  }
}
