import { ObjectRef, identityKey, isCrd, isNamespace } from '../../model/manifest';
import { rank } from './order';

/** Who may prune what beyond the guards: `--allow-prune` apps and `Allow-Prune:` trailers. */
export interface PrunePolicy {
  /** Apps allowed to prune past the guards; `*` allows every app. */
  readonly allowed: ReadonlySet<string>;
  /** Prune CustomResourceDefinitions that left Git (deletes every custom resource of them). @default false */
  readonly pruneCrds?: boolean;
}

/** Objects to prune, and objects held back with the reason. */
export interface PrunePlan {
  readonly prune: readonly ObjectRef[];
  readonly held: ReadonlyArray<{ readonly ref: ObjectRef; readonly reason: string }>;
}

/**
 * Decides what leaves the cluster: objects in the previous inventory that are not in
 * the new revision. Mass removals are held unless the app is allowed: all of an app's
 * objects, more than half of them, a whole app, or any Namespace. CRDs are held
 * unless `pruneCrds`.
 */
export function planPrune(app: string, previous: readonly ObjectRef[], desired: readonly ObjectRef[], policy: PrunePolicy, wholeApp = false): PrunePlan {
  const keep = new Set(desired.map(identityKey));
  const gone = previous.filter((r) => !keep.has(identityKey(r)));
  if (gone.length === 0) return { prune: [], held: [] };
  const allowed = policy.allowed.has('*') || policy.allowed.has(app);
  const hint = `allow with --allow-prune ${app} or an "Allow-Prune: ${app}" trailer on the deploy commit`;
  let massReason: string | undefined;
  if (wholeApp) massReason = `app "${app}" is no longer in the revision; removing a whole app is held (${hint})`;
  else if (gone.length === previous.length) massReason = `the revision removes all ${previous.length} objects of app "${app}" (${hint})`;
  else if (gone.length * 2 > previous.length) massReason = `the revision removes ${gone.length} of ${previous.length} objects of app "${app}", more than half (${hint})`;

  const prune: ObjectRef[] = [];
  const held: Array<{ ref: ObjectRef; reason: string }> = [];
  for (const ref of gone) {
    if (isCrd(ref) && !policy.pruneCrds) held.push({ ref, reason: 'CustomResourceDefinitions are never pruned by default (it would delete every custom resource of it)' });
    else if (massReason && !allowed) held.push({ ref, reason: massReason });
    else if (isNamespace(ref) && !allowed) held.push({ ref, reason: `pruning Namespace ${ref.name} deletes everything in it (${hint})` });
    else prune.push(ref);
  }
  // Reverse apply order: workloads before their ConfigMaps, Namespaces last.
  prune.sort((a, b) => rank(b.kind) - rank(a.kind));
  return { prune, held };
}

