import { FIELD_MANAGER } from '../keys';
import { Manifest, ObjectRef } from '../synth/manifest';
import { KubeApiError } from './errors';
import { ObjectHealth } from './health';
import { KubeClient } from './kube';

import { PLURAL, STATUS_API_VERSION, STATUS_CRD, STATUS_KIND } from './status-crd';

export { STATUS_API_VERSION, STATUS_CRD, STATUS_KIND };
const STATUS_MANAGER = `${FIELD_MANAGER}-status`;
const HISTORY = 5;

/** One condition, Kubernetes style. */
export interface Condition {
  readonly type: 'Ready' | 'Reconciling' | 'Stalled';
  readonly status: 'True' | 'False' | 'Unknown';
  readonly reason: string;
  readonly message: string;
  readonly lastTransitionTime: string;
}

/** One entry of the reconcile history. */
export interface HistoryEntry {
  readonly revision: string;
  readonly startTime: string;
  readonly durationSeconds: number;
  readonly result: string;
  readonly message: string;
}

/** The status subresource of an AppSync. */
export interface AppSyncStatus {
  readonly lastAppliedRevision?: string;
  readonly lastAppliedRevisionShort?: string;
  readonly lastAttemptedRevision?: string;
  readonly lastSyncTime?: string;
  readonly conditions?: readonly Condition[];
  readonly inventory?: readonly ObjectRef[];
  readonly unhealthy?: readonly ObjectHealth[];
  readonly errors?: readonly string[];
  readonly held?: readonly string[];
  readonly drift?: readonly string[];
  readonly history?: readonly HistoryEntry[];
  readonly commitToConvergedSeconds?: number;
  readonly driftRepairs?: number;
  /** The last time the deploy branch was rewritten (force-push or unrelated history). */
  readonly historyRewrite?: { readonly from: string; readonly to: string; readonly time: string };
}

/** An AppSync as read from the cluster. */
export interface AppSync {
  readonly metadata: { name: string; namespace: string; uid?: string; annotations?: Record<string, string> };
  readonly spec: { app: string; env: string; suspend?: boolean };
  readonly status?: AppSyncStatus;
}

/** Name of the AppSync of an app. */
export function appSyncName(env: string, app: string): string {
  return `${env}.${app}`;
}

/** A condition that keeps its lastTransitionTime when its status did not change. */
export function condition(previous: readonly Condition[] | undefined, type: Condition['type'], status: Condition['status'], reason: string, message: string, now: string): Condition {
  const old = previous?.find((c) => c.type === type);
  return { type, status, reason, message, lastTransitionTime: old && old.status === status ? old.lastTransitionTime : now };
}

/**
 * Appends to the history, keeping the last five. A reconcile with the same revision
 * and result as the last entry replaces it, so periodic no-op reconciles do not push
 * the meaningful entries out.
 */
export function pushHistory(previous: readonly HistoryEntry[] | undefined, entry: HistoryEntry): HistoryEntry[] {
  const list = [...(previous ?? [])];
  const last = list[list.length - 1];
  if (last && last.revision === entry.revision && last.result === entry.result) list.pop();
  return [...list, entry].slice(-HISTORY);
}

/** Reads and writes AppSync objects and their Events in the agent's namespace. */
export class StatusStore {
  constructor(private readonly client: KubeClient, public readonly namespace: string) {}

  private base(): string {
    return `/apis/${STATUS_API_VERSION}/namespaces/${this.namespace}/${PLURAL}`;
  }

  /** Installs (or updates) the AppSync CRD and waits until it is Established. */
  public async ensureCrd(timeoutMs = 30_000): Promise<void> {
    await this.client.request('PATCH', `/apis/apiextensions.k8s.io/v1/customresourcedefinitions/${STATUS_CRD.metadata.name}`, {
      body: STATUS_CRD, contentType: 'application/apply-patch+yaml', query: { fieldManager: FIELD_MANAGER, force: 'true' },
    });
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const crd = await this.client.request<Manifest>('GET', `/apis/apiextensions.k8s.io/v1/customresourcedefinitions/${STATUS_CRD.metadata.name}`);
      const conditions = (crd.status as { conditions?: Array<{ type: string; status: string }> } | undefined)?.conditions;
      if (conditions?.some((c) => c.type === 'Established' && c.status === 'True')) return;
      if (Date.now() > deadline) throw new Error(`CRD ${STATUS_CRD.metadata.name} not Established after ${timeoutMs / 1000}s`);
      await new Promise((r) => setTimeout(r, 200));
    }
  }

  /** Every AppSync in the namespace. */
  public async list(): Promise<AppSync[]> {
    try {
      return (await this.client.request<{ items: AppSync[] }>('GET', this.base())).items;
    } catch (e) {
      if (e instanceof KubeApiError && e.status === 404) return [];
      throw e;
    }
  }

  /** One AppSync, or undefined. */
  public async get(env: string, app: string): Promise<AppSync | undefined> {
    try {
      return await this.client.request<AppSync>('GET', `${this.base()}/${appSyncName(env, app)}`);
    } catch (e) {
      if (e instanceof KubeApiError && e.status === 404) return undefined;
      throw e;
    }
  }

  /** Creates the AppSync if missing (spec app/env only: `suspend` belongs to operators). */
  public async ensure(env: string, app: string): Promise<AppSync> {
    return this.client.request<AppSync>('PATCH', `${this.base()}/${appSyncName(env, app)}`, {
      body: { apiVersion: STATUS_API_VERSION, kind: STATUS_KIND, metadata: { name: appSyncName(env, app), namespace: this.namespace }, spec: { app, env } },
      contentType: 'application/apply-patch+yaml', query: { fieldManager: FIELD_MANAGER, force: 'true' },
    });
  }

  /** Replaces the status of an AppSync. */
  public async writeStatus(env: string, app: string, status: AppSyncStatus): Promise<void> {
    await this.client.request('PATCH', `${this.base()}/${appSyncName(env, app)}/status`, {
      body: { apiVersion: STATUS_API_VERSION, kind: STATUS_KIND, metadata: { name: appSyncName(env, app), namespace: this.namespace }, status },
      contentType: 'application/apply-patch+yaml', query: { fieldManager: STATUS_MANAGER, force: 'true' },
    });
  }

  /** Deletes the AppSync of an app that left Git. */
  public async remove(env: string, app: string): Promise<void> {
    await this.client.request('DELETE', `${this.base()}/${appSyncName(env, app)}`).catch((e: unknown) => {
      if (!(e instanceof KubeApiError && e.status === 404)) throw e;
    });
  }

  /** Records a Kubernetes Event on the app's AppSync. */
  public async event(sync: AppSync, type: 'Normal' | 'Warning', reason: string, message: string): Promise<void> {
    const now = new Date().toISOString();
    await this.client.request('POST', `/api/v1/namespaces/${this.namespace}/events`, {
      body: {
        apiVersion: 'v1', kind: 'Event',
        metadata: { generateName: `${sync.metadata.name}.`, namespace: this.namespace },
        involvedObject: { apiVersion: STATUS_API_VERSION, kind: STATUS_KIND, name: sync.metadata.name, namespace: this.namespace, uid: sync.metadata.uid },
        type, reason, message: message.slice(0, 1024),
        source: { component: 'synthops-agent' }, reportingComponent: 'synthops-agent', reportingInstance: 'synthops-agent',
        firstTimestamp: now, lastTimestamp: now, count: 1,
      },
    });
  }

  /** Events of one AppSync, oldest first. */
  public async events(sync: AppSync): Promise<Array<{ type: string; reason: string; message: string; lastTimestamp?: string }>> {
    const list = await this.client.request<{ items: Array<{ type: string; reason: string; message: string; lastTimestamp?: string }> }>('GET', `/api/v1/namespaces/${this.namespace}/events`, {
      query: { fieldSelector: `involvedObject.name=${sync.metadata.name},involvedObject.kind=${STATUS_KIND}` },
    });
    return list.items;
  }
}
