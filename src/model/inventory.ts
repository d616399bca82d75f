import { ObjectRef, identityKey } from './manifest';

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
   * @default - unknown (not recorded)
   */
  readonly revision?: string;
  /** Every object the agent applied for the app and has not pruned, with the apiVersion it used. */
  readonly objects: readonly ObjectRef[];
  /**
   * The objects of the app when it last converged (applied, its prune done without a
   * hold). The prune guards compare a revision's removals with this set, not with
   * `objects`, which a held prune grows by the new objects: a hold stays held until
   * the revision changes what it removes or the prune is allowed.
   * @default - `objects` (records written before this field existed)
   */
  readonly converged?: readonly ObjectRef[];
  /**
   * The source that owns the record: its label `synthops.dev/source` is the authority,
   * the URL, branch and folder of its last write are kept here for messages.
   * @default - none: written before sources existed; the first source that claims the app adopts it
   */
  readonly source?: InventorySource;
  /** ServiceAccount (`namespace/name`) the app is applied as; prunes of a removed app use it too. @default - the agent's own ServiceAccount */
  readonly serviceAccount?: string;
}

/** The owner of an inventory as recorded: its name and where it read from. */
export interface InventorySource {
  readonly name: string;
  /** @default - unknown (the label was set by hand, or by `synthops inventory adopt`) */
  readonly url?: string;
  /** @default - unknown (the label was set by hand, or by `synthops inventory adopt`) */
  readonly branch?: string;
  /** @default - unknown (the label was set by hand, or by `synthops inventory adopt`) */
  readonly path?: string;
}

/** Data key of the inventory ConfigMap. */
export const INVENTORY_DATA_KEY = 'inventory.json';

/** Name of the ConfigMap holding an app's inventory. */
export function inventoryName(env: string, app: string): string {
  return `inv.${env}.${app}`;
}

/** Sorted, duplicate-free copy of `refs`, so stored inventories are stable. */
export function normalizeRefs(refs: Iterable<ObjectRef>): ObjectRef[] {
  const byKey = new Map<string, ObjectRef>();
  for (const r of refs) {
    byKey.set(
      identityKey(r),
      r.namespace
        ? { apiVersion: r.apiVersion, kind: r.kind, namespace: r.namespace, name: r.name }
        : { apiVersion: r.apiVersion, kind: r.kind, name: r.name },
    );
  }
  return [...byKey.entries()].sort(([a], [b]) => (a < b ? -1 : 1)).map(([, r]) => r);
}

/** Whether two ref lists name the same objects (order and duplicates aside). */
export function sameRefs(a: Iterable<ObjectRef>, b: Iterable<ObjectRef>): boolean {
  return JSON.stringify(normalizeRefs(a)) === JSON.stringify(normalizeRefs(b));
}
