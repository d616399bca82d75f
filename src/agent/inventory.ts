import { ObjectRef, identityKey } from '../synth/manifest';
import { FIELD_MANAGER } from '../keys';
import { KubeApiError } from './errors';
import { KubeClient } from './kube';

/**
 * What the agent last applied for one app in one environment. Stored in the cluster
 * as a ConfigMap (like kapp), so it survives agent restarts and needs no CRD:
 * `<inventory namespace>/inv.<env>.<app>`, data key `inventory.json`.
 */
export interface Inventory {
  readonly app: string;
  readonly env: string;
  /**
   * Revision that last changed this record. It is rewritten only when the objects or
   * the ServiceAccount change, not for every commit; which revision an app runs is in
   * its AppSync status.
   */
  readonly revision?: string;
  /** Every object the agent applied for the app and has not pruned, with the apiVersion it used. */
  readonly objects: readonly ObjectRef[];
  /** ServiceAccount (`namespace/name`) the app is applied as; prunes of a removed app use it too. */
  readonly serviceAccount?: string;
}

/** Labels of inventory ConfigMaps (not the app label: they are not app objects). */
export const INVENTORY_LABEL = 'synthops.dev/inventory';
const ENV_KEY = 'synthops.dev/inventory-env';
const DATA_KEY = 'inventory.json';

interface ConfigMap {
  metadata: { name: string; labels?: Record<string, string> };
  data?: Record<string, string>;
}

/** Name of the ConfigMap holding an app's inventory. */
export function inventoryName(env: string, app: string): string {
  return `inv.${env}.${app}`;
}

/** Sorted, duplicate-free copy of `refs`, so stored inventories are stable. */
export function normalizeRefs(refs: Iterable<ObjectRef>): ObjectRef[] {
  const byKey = new Map<string, ObjectRef>();
  for (const r of refs) {
    byKey.set(identityKey(r), r.namespace ? { apiVersion: r.apiVersion, kind: r.kind, namespace: r.namespace, name: r.name } : { apiVersion: r.apiVersion, kind: r.kind, name: r.name });
  }
  return [...byKey.entries()].sort(([a], [b]) => (a < b ? -1 : 1)).map(([, r]) => r);
}

/** Whether two ref lists name the same objects (order and duplicates aside). */
export function sameRefs(a: Iterable<ObjectRef>, b: Iterable<ObjectRef>): boolean {
  return JSON.stringify(normalizeRefs(a)) === JSON.stringify(normalizeRefs(b));
}

/** Reads and writes inventories in one namespace. */
export class InventoryStore {
  constructor(private readonly client: KubeClient, public readonly namespace: string) {}

  private base(): string {
    return `/api/v1/namespaces/${this.namespace}/configmaps`;
  }

  /** Creates the inventory namespace if it is missing (an in-cluster agent may only read it). */
  public async ensureNamespace(): Promise<void> {
    try {
      await this.client.request('GET', `/api/v1/namespaces/${this.namespace}`);
      return;
    } catch (e) {
      if (!(e instanceof KubeApiError && e.status === 404)) throw e;
    }
    await this.client.request('PATCH', `/api/v1/namespaces/${this.namespace}`, {
      body: { apiVersion: 'v1', kind: 'Namespace', metadata: { name: this.namespace } },
      contentType: 'application/apply-patch+yaml',
      query: { fieldManager: FIELD_MANAGER, force: 'true' },
    });
  }

  /** Every inventory of an environment. */
  public async list(env: string): Promise<Inventory[]> {
    try {
      const list = await this.client.request<{ items: ConfigMap[] }>('GET', this.base(), { query: { labelSelector: `${INVENTORY_LABEL}=true,${ENV_KEY}=${env}` } });
      return list.items.map((cm) => JSON.parse(cm.data?.[DATA_KEY] ?? '{}') as Inventory).filter((i) => i.app);
    } catch (e) {
      if (e instanceof KubeApiError && e.status === 404) return [];
      throw e;
    }
  }

  /** Stores an inventory (server-side apply of its ConfigMap). */
  public async save(inv: Inventory): Promise<void> {
    const body = {
      apiVersion: 'v1',
      kind: 'ConfigMap',
      metadata: { name: inventoryName(inv.env, inv.app), namespace: this.namespace, labels: { [INVENTORY_LABEL]: 'true', [ENV_KEY]: inv.env } },
      data: { [DATA_KEY]: `${JSON.stringify({ ...inv, objects: normalizeRefs(inv.objects) }, null, 1)}\n` },
    };
    await this.client.request('PATCH', `${this.base()}/${inventoryName(inv.env, inv.app)}`, {
      body, contentType: 'application/apply-patch+yaml', query: { fieldManager: FIELD_MANAGER, force: 'true' },
    });
  }

  /** Deletes an app's inventory (after the whole app was pruned). */
  public async remove(env: string, app: string): Promise<void> {
    try {
      await this.client.request('DELETE', `${this.base()}/${inventoryName(env, app)}`);
    } catch (e) {
      if (!(e instanceof KubeApiError && e.status === 404)) throw e;
    }
  }
}
