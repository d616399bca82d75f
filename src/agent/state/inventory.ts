import {
  INVENTORY_DATA_KEY,
  Inventory,
  InventorySource,
  inventoryName,
  normalizeRefs,
  sameRefs,
} from '../../model/inventory';
import { FIELD_MANAGER, INVENTORY_ENV_LABEL, INVENTORY_LABEL, SOURCE_LABEL } from '../../model/keys';
import { SourceIdentity } from '../../model/source';
import { KubeClient } from '../../kube/client';
import { isConflict } from '../../kube/errors';
import { RecordChangedError, SourceConflictError } from './errors';

export { INVENTORY_LABEL, Inventory, InventorySource, inventoryName, normalizeRefs, sameRefs };

interface ConfigMap {
  apiVersion?: string;
  kind?: string;
  metadata: { name: string; namespace?: string; resourceVersion?: string; labels?: Record<string, string> };
  data?: Record<string, string>;
}

/**
 * Reads and writes inventories in one namespace, as one source. Writes are
 * conditional: a record is created only if no one has it yet and updated only at the
 * version last read, so a record of another source (or one changed meanwhile) is
 * never overwritten, even by two agents racing for the same app.
 */
export class InventoryStore {
  /** resourceVersion of each record last read or written. */
  private readonly versions = new Map<string, string>();

  /** `source`: who writes; a store without one only reads and relabels. @default - none */
  constructor(
    private readonly client: KubeClient,
    public readonly namespace: string,
    public readonly source?: SourceIdentity,
  ) {}

  private base(): string {
    return `/api/v1/namespaces/${this.namespace}/configmaps`;
  }

  /** Creates the inventory namespace if it is missing (an in-cluster agent may only read it). */
  public async ensureNamespace(): Promise<void> {
    if (await this.client.getOrUndefined(`/api/v1/namespaces/${this.namespace}`)) return;
    await this.client.apply(
      `/api/v1/namespaces/${this.namespace}`,
      { apiVersion: 'v1', kind: 'Namespace', metadata: { name: this.namespace } },
      { fieldManager: FIELD_MANAGER },
    );
  }

  /** Every inventory of an environment, of every source (each with its owner). */
  public async list(env: string): Promise<Inventory[]> {
    return this.listWhere(`${INVENTORY_LABEL}=true,${INVENTORY_ENV_LABEL}=${env}`);
  }

  /** Every inventory in the namespace, of every environment and source. */
  public async listAll(): Promise<Inventory[]> {
    return this.listWhere(`${INVENTORY_LABEL}=true`);
  }

  private async listWhere(labelSelector: string): Promise<Inventory[]> {
    const list = await this.client.getOrUndefined<{ items: ConfigMap[] }>(this.base(), { query: { labelSelector } });
    return (list?.items ?? []).map((cm) => this.read(cm)).filter((i): i is Inventory => i !== undefined);
  }

  private read(cm: ConfigMap): Inventory | undefined {
    const record = JSON.parse(cm.data?.[INVENTORY_DATA_KEY] ?? '{}') as Inventory;
    if (!record.app) return undefined;
    if (cm.metadata.resourceVersion) this.versions.set(cm.metadata.name, cm.metadata.resourceVersion);
    // The label owns; the record's details count only while they describe the same owner.
    const owner = cm.metadata.labels?.[SOURCE_LABEL];
    const { source: recorded, ...rest } = record;
    return owner ? { ...rest, source: recorded?.name === owner ? recorded : { name: owner } } : rest;
  }

  /** Whether `inv` is recorded under this store's source exactly as it reads now (same URL, branch, folder). */
  public isCurrent(inv: Inventory): boolean {
    const s = inv.source;
    return Boolean(
      this.source &&
        s &&
        s.name === this.source.name &&
        s.url === this.source.url &&
        s.branch === this.source.branch &&
        s.path === this.source.path,
    );
  }

  /** Stores an inventory as this store's source (create if no one has it, else update at the version last read); resolves to the record as stored. */
  public async save(inv: Inventory): Promise<Inventory> {
    const me = this.source;
    if (!me) throw new Error('InventoryStore.save needs the source it writes as');
    const name = inventoryName(inv.env, inv.app);
    const record: Inventory = {
      ...inv,
      objects: normalizeRefs(inv.objects),
      ...(inv.converged ? { converged: normalizeRefs(inv.converged) } : {}),
      source: { name: me.name, url: me.url, branch: me.branch, path: me.path },
    };
    const body: ConfigMap = {
      apiVersion: 'v1',
      kind: 'ConfigMap',
      metadata: {
        name,
        namespace: this.namespace,
        labels: { [INVENTORY_LABEL]: 'true', [INVENTORY_ENV_LABEL]: inv.env, [SOURCE_LABEL]: me.name },
      },
      data: { [INVENTORY_DATA_KEY]: `${JSON.stringify(record, null, 1)}\n` },
    };
    const version = this.versions.get(name);
    try {
      const written = version
        ? await this.client.request<ConfigMap>('PUT', `${this.base()}/${name}`, {
            body: { ...body, metadata: { ...body.metadata, resourceVersion: version } },
            query: { fieldManager: FIELD_MANAGER },
          })
        : await this.client.request<ConfigMap>('POST', this.base(), { body, query: { fieldManager: FIELD_MANAGER } });
      this.versions.set(name, written.metadata.resourceVersion!);
    } catch (e) {
      if (!isConflict(e)) throw e;
      await this.afterConflict(name, body);
    }
    return record;
  }

  /** A 409: our own retried request that had succeeded, another source first, or another writer. */
  private async afterConflict(name: string, body: ConfigMap): Promise<void> {
    const live = await this.client.getOrUndefined<ConfigMap>(`${this.base()}/${name}`);
    const owner = live?.metadata.labels?.[SOURCE_LABEL];
    if (live && owner === this.source!.name && live.data?.[INVENTORY_DATA_KEY] === body.data![INVENTORY_DATA_KEY]) {
      this.versions.set(name, live.metadata.resourceVersion!);
      return;
    }
    const theirs = live && this.read(live);
    if (theirs?.source && owner !== this.source!.name)
      throw new SourceConflictError(theirs.app, theirs.env, theirs.source, this.source!.name);
    throw new RecordChangedError(`ConfigMap ${this.namespace}/${name}`);
  }

  /** Deletes an app's inventory (after the whole app was pruned), only at the version last read. */
  public async remove(env: string, app: string): Promise<void> {
    const name = inventoryName(env, app);
    const version = this.versions.get(name);
    try {
      await this.client.deleteIfExists(
        `${this.base()}/${name}`,
        version
          ? { body: { apiVersion: 'v1', kind: 'DeleteOptions', preconditions: { resourceVersion: version } } }
          : {},
      );
      this.versions.delete(name);
    } catch (e) {
      if (isConflict(e)) throw new RecordChangedError(`ConfigMap ${this.namespace}/${name}`);
      throw e;
    }
  }

  /**
   * Gives a record to source `to`, or to no source (`undefined`: the first source that
   * claims the app adopts it), at the version last read. Its objects are untouched.
   */
  public async relabel(inv: Inventory, to: string | undefined): Promise<void> {
    const name = inventoryName(inv.env, inv.app);
    try {
      await this.client.request('PATCH', `${this.base()}/${name}`, {
        contentType: 'application/merge-patch+json',
        body: { metadata: { resourceVersion: this.versions.get(name), labels: { [SOURCE_LABEL]: to ?? null } } },
        query: { fieldManager: FIELD_MANAGER },
      });
    } catch (e) {
      if (isConflict(e)) throw new RecordChangedError(`ConfigMap ${this.namespace}/${name}`);
      throw e;
    }
  }
}
