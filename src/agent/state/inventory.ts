import { INVENTORY_DATA_KEY, Inventory, inventoryName, normalizeRefs, sameRefs } from '../../model/inventory';
import { FIELD_MANAGER, INVENTORY_ENV_LABEL, INVENTORY_LABEL } from '../../model/keys';
import { KubeClient } from '../../kube/client';

export { INVENTORY_LABEL, Inventory, inventoryName, normalizeRefs, sameRefs };

interface ConfigMap {
  metadata: { name: string; labels?: Record<string, string> };
  data?: Record<string, string>;
}

/** Reads and writes inventories in one namespace. */
export class InventoryStore {
  constructor(private readonly client: KubeClient, public readonly namespace: string) {}

  private base(): string {
    return `/api/v1/namespaces/${this.namespace}/configmaps`;
  }

  /** Creates the inventory namespace if it is missing (an in-cluster agent may only read it). */
  public async ensureNamespace(): Promise<void> {
    if (await this.client.getOrUndefined(`/api/v1/namespaces/${this.namespace}`)) return;
    await this.client.apply(`/api/v1/namespaces/${this.namespace}`, { apiVersion: 'v1', kind: 'Namespace', metadata: { name: this.namespace } }, { fieldManager: FIELD_MANAGER });
  }

  /** Every inventory of an environment. */
  public async list(env: string): Promise<Inventory[]> {
    const list = await this.client.getOrUndefined<{ items: ConfigMap[] }>(this.base(), { query: { labelSelector: `${INVENTORY_LABEL}=true,${INVENTORY_ENV_LABEL}=${env}` } });
    return (list?.items ?? []).map((cm) => JSON.parse(cm.data?.[INVENTORY_DATA_KEY] ?? '{}') as Inventory).filter((i) => i.app);
  }

  /** Stores an inventory (server-side apply of its ConfigMap). */
  public async save(inv: Inventory): Promise<void> {
    const body = {
      apiVersion: 'v1',
      kind: 'ConfigMap',
      metadata: { name: inventoryName(inv.env, inv.app), namespace: this.namespace, labels: { [INVENTORY_LABEL]: 'true', [INVENTORY_ENV_LABEL]: inv.env } },
      data: { [INVENTORY_DATA_KEY]: `${JSON.stringify({ ...inv, objects: normalizeRefs(inv.objects) }, null, 1)}\n` },
    };
    await this.client.apply(`${this.base()}/${inventoryName(inv.env, inv.app)}`, body, { fieldManager: FIELD_MANAGER });
  }

  /** Deletes an app's inventory (after the whole app was pruned). */
  public async remove(env: string, app: string): Promise<void> {
    await this.client.deleteIfExists(`${this.base()}/${inventoryName(env, app)}`);
  }
}
