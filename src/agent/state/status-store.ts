import { FIELD_MANAGER, SOURCE_LABEL, STATUS_FIELD_MANAGER } from '../../model/keys';
import {
  AppSync,
  AppSyncStatus,
  Condition,
  HistoryEntry,
  PLURAL,
  STATUS_API_VERSION,
  STATUS_CRD,
  STATUS_KIND,
  appSyncName,
} from '../../model/appsync';
import { KubeClient } from '../../kube/client';
import { isConflict } from '../../kube/errors';
import { RecordChangedError } from './errors';
import { ensureCrd } from './crd';

export { AppSync, AppSyncStatus, Condition, HistoryEntry, STATUS_API_VERSION, STATUS_CRD, STATUS_KIND, appSyncName };

/** The source an AppSync belongs to (its `synthops.dev/source` label), or undefined for one written before sources. */
export function ownerOf(sync: AppSync): string | undefined {
  return sync.metadata.labels?.[SOURCE_LABEL];
}

/** Claiming an AppSync: ours now (created, adopted or already ours), or another source's. */
export type Claim = { readonly ok: true; readonly sync: AppSync } | { readonly ok: false; readonly owner: string };

/** Reads and writes AppSync objects and their Events in the agent's namespace. */
export class StatusStore {
  constructor(
    private readonly client: KubeClient,
    public readonly namespace: string,
  ) {}

  private base(): string {
    return `/apis/${STATUS_API_VERSION}/namespaces/${this.namespace}/${PLURAL}`;
  }

  /** Installs (or updates) the AppSync CRD and waits until it is Established (see {@link ensureCrd}). */
  public async ensureCrd(timeoutMs = 30_000): Promise<void> {
    await ensureCrd(this.client, STATUS_CRD, timeoutMs);
  }

  /** Every AppSync in the namespace. */
  public async list(): Promise<AppSync[]> {
    return (await this.client.getOrUndefined<{ items: AppSync[] }>(this.base()))?.items ?? [];
  }

  /** One AppSync, or undefined. */
  public async get(env: string, app: string): Promise<AppSync | undefined> {
    return this.client.getOrUndefined<AppSync>(`${this.base()}/${appSyncName(env, app)}`);
  }

  /**
   * Makes the AppSync of an app source `source`'s: creates it if no one has it (spec
   * app/env only: `suspend` belongs to operators), adopts one without a source, and
   * leaves another source's alone. `existing` is the AppSync as last listed.
   */
  public async claim(env: string, app: string, source: string, existing?: AppSync): Promise<Claim> {
    const name = appSyncName(env, app);
    if (existing) {
      const owner = ownerOf(existing);
      if (owner === source) return { ok: true, sync: existing };
      if (owner !== undefined) return { ok: false, owner };
      try {
        return { ok: true, sync: await this.relabel(existing, source) };
      } catch (e) {
        if (!(e instanceof RecordChangedError)) throw e;
        return this.claim(env, app, source, await this.get(env, app));
      }
    }
    const body = {
      apiVersion: STATUS_API_VERSION,
      kind: STATUS_KIND,
      metadata: { name, namespace: this.namespace, labels: { [SOURCE_LABEL]: source } },
      spec: { app, env },
    };
    try {
      return {
        ok: true,
        sync: await this.client.request<AppSync>('POST', this.base(), { body, query: { fieldManager: FIELD_MANAGER } }),
      };
    } catch (e) {
      if (!isConflict(e)) throw e;
      // Created meanwhile (by another source, or by our own retried request).
      const now = await this.get(env, app);
      if (!now) throw e;
      return this.claim(env, app, source, now);
    }
  }

  /** Gives an AppSync to source `to`, or to none, at the version it was read; resolves to the result. */
  public async relabel(sync: AppSync, to: string | undefined): Promise<AppSync> {
    try {
      return await this.client.request<AppSync>('PATCH', `${this.base()}/${sync.metadata.name}`, {
        contentType: 'application/merge-patch+json',
        body: { metadata: { resourceVersion: sync.metadata.resourceVersion, labels: { [SOURCE_LABEL]: to ?? null } } },
        query: { fieldManager: FIELD_MANAGER },
      });
    } catch (e) {
      if (isConflict(e)) throw new RecordChangedError(`AppSync ${this.namespace}/${sync.metadata.name}`);
      throw e;
    }
  }

  /** Replaces the status of an AppSync. */
  public async writeStatus(env: string, app: string, status: AppSyncStatus): Promise<void> {
    const body = {
      apiVersion: STATUS_API_VERSION,
      kind: STATUS_KIND,
      metadata: { name: appSyncName(env, app), namespace: this.namespace },
      status,
    };
    await this.client.apply(`${this.base()}/${appSyncName(env, app)}/status`, body, {
      fieldManager: STATUS_FIELD_MANAGER,
    });
  }

  /** Deletes the AppSync of an app that left Git. */
  public async remove(env: string, app: string): Promise<void> {
    await this.client.deleteIfExists(`${this.base()}/${appSyncName(env, app)}`);
  }

  /** Records a Kubernetes Event on the app's AppSync. */
  public async event(sync: AppSync, type: 'Normal' | 'Warning', reason: string, message: string): Promise<void> {
    const now = new Date().toISOString();
    await this.client.request('POST', `/api/v1/namespaces/${this.namespace}/events`, {
      body: {
        apiVersion: 'v1',
        kind: 'Event',
        metadata: { generateName: `${sync.metadata.name}.`, namespace: this.namespace },
        involvedObject: {
          apiVersion: STATUS_API_VERSION,
          kind: STATUS_KIND,
          name: sync.metadata.name,
          namespace: this.namespace,
          uid: sync.metadata.uid,
        },
        type,
        reason,
        message: message.slice(0, 1024),
        source: { component: 'synthops-agent' },
        reportingComponent: 'synthops-agent',
        reportingInstance: 'synthops-agent',
        firstTimestamp: now,
        lastTimestamp: now,
        count: 1,
      },
    });
  }

  /** Events of one AppSync, oldest first. */
  public async events(
    sync: AppSync,
  ): Promise<Array<{ type: string; reason: string; message: string; lastTimestamp?: string }>> {
    const list = await this.client.request<{
      items: Array<{ type: string; reason: string; message: string; lastTimestamp?: string }>;
    }>('GET', `/api/v1/namespaces/${this.namespace}/events`, {
      query: { fieldSelector: `involvedObject.name=${sync.metadata.name},involvedObject.kind=${STATUS_KIND}` },
    });
    return list.items;
  }
}
