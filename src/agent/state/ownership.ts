import { Inventory } from '../../model/inventory';
import { SourceConflictError } from './errors';

/** A source's view of the inventories of one environment. */
export interface OwnedInventories {
  /** Its own, and unowned ones (written before sources) of apps it claims: it adopts those. */
  readonly own: ReadonlyMap<string, Inventory>;
  /** Apps it claims that another source owns. */
  readonly conflicts: ReadonlyMap<string, SourceConflictError>;
}

/**
 * Splits the inventories of an environment for source `me`, whose revision claims
 * `claimed`. Another source's apps are invisible (never pruned, never rewritten);
 * an unowned record is adopted only by a source that claims its app, so an upgrade
 * cannot make one source prune what another applied.
 */
export function ownInventories(all: readonly Inventory[], me: string, claimed: ReadonlySet<string>): OwnedInventories {
  const own = new Map<string, Inventory>();
  const conflicts = new Map<string, SourceConflictError>();
  for (const inv of all) {
    const owner = inv.source?.name;
    if (owner === me) own.set(inv.app, inv);
    else if (!claimed.has(inv.app)) continue;
    else if (owner === undefined) own.set(inv.app, inv);
    else conflicts.set(inv.app, new SourceConflictError(inv.app, inv.env, inv.source!, me));
  }
  return { own, conflicts };
}
