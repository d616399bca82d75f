import { Inventory, InventoryStore } from './inventory';
import { AppSync, StatusStore, ownerOf } from './status-store';
import { KubeClient } from '../../kube/client';

/** What to hand over: records of source `from` (or of none), to source `to` (or to none). */
export interface HandoverOptions {
  /** The source whose records change hands. @default - records of no source (written before sources existed) */
  readonly from?: string;
  /** The new owner. @default - none: released, the first source that claims each app adopts it */
  readonly to?: string;
  /** Only this environment. @default - every environment */
  readonly env?: string;
  /** Only these apps. @default - every app of `from` */
  readonly apps?: readonly string[];
}

/** The records that changed hands. */
export interface HandoverResult {
  readonly inventories: readonly Inventory[];
  readonly appSyncs: readonly AppSync[];
}

/**
 * Relabels the inventories and AppSyncs of one source in the agent's namespace: to
 * another source (adopt: it then owns the apps, and prunes those it does not have in
 * Git only within the guards), or to none (release). Objects in the cluster are not
 * touched, nothing is deleted, and each record changes only at the version read.
 */
export async function handOver(client: KubeClient, namespace: string, o: HandoverOptions): Promise<HandoverResult> {
  const matches = (owner: string | undefined, env: string, app: string) =>
    owner === o.from && (!o.env || env === o.env) && (!o.apps || o.apps.includes(app));
  const inventories = new InventoryStore(client, namespace);
  const statuses = new StatusStore(client, namespace);
  const movedInventories = (await inventories.listAll()).filter((i) => matches(i.source?.name, i.env, i.app));
  const movedSyncs = (await statuses.list()).filter((s) => matches(ownerOf(s), s.spec.env, s.spec.app));
  for (const inv of movedInventories) await inventories.relabel(inv, o.to);
  for (const s of movedSyncs) await statuses.relabel(s, o.to);
  return { inventories: movedInventories, appSyncs: movedSyncs };
}
