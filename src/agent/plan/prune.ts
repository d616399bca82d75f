import { ObjectRef, identityKey, isCrd, isNamespace } from '../../model/manifest';
import { rank } from './order';

/** Who may prune what beyond the guards: `--allow-prune` apps and `Allow-Prune:` trailers. */
export interface PrunePolicy {
  /** Apps allowed to prune past the guards; `*` allows every app. */
  readonly allowed: ReadonlySet<string>;
  /** Prune CustomResourceDefinitions that left Git (deletes every custom resource of them). @default false */
  readonly pruneCrds?: boolean;
}

/**
 * Which rule held an object: `mass` (all, more than half, or a whole app) and
 * `namespace` wait for an approval; `crd` is policy (`--prune-crds`), not a question.
 */
export type HoldGuard = 'mass' | 'namespace' | 'crd';

/** An object the guards keep, with the rule and its reason. */
export interface HeldPrune {
  readonly ref: ObjectRef;
  readonly guard: HoldGuard;
  readonly reason: string;
}

/** Objects to prune, and objects held back with the reason. */
export interface PrunePlan {
  readonly prune: readonly ObjectRef[];
  readonly held: readonly HeldPrune[];
  /**
   * The set the guards compared the removals with: the last converged set, minus
   * what has left the inventory since (pruned, or taken over by another app).
   */
  readonly base: readonly ObjectRef[];
}

/** Options of {@link planPrune}. */
export interface PlanPruneOptions {
  /** The app left the revision altogether. @default false */
  readonly wholeApp?: boolean;
  /**
   * The app's objects when it last converged (the inventory's `converged`). The
   * guards measure removals against it, so a hold that grew the inventory does not
   * dilute the next decision. @default - `previous`
   */
  readonly converged?: readonly ObjectRef[];
}

/** Whether a plan holds something that waits for an approval (`crd` holds do not). */
export function awaitsApproval(plan: Pick<PrunePlan, 'held'>): boolean {
  return plan.held.some((h) => h.guard !== 'crd');
}

/**
 * Decides what leaves the cluster: objects in the previous inventory that are not in
 * the new revision. Mass removals are held unless the app is allowed: all of the
 * app's last converged objects, more than half of them, a whole app, or any
 * Namespace. CRDs are held unless `pruneCrds`.
 */
export function planPrune(
  app: string,
  previous: readonly ObjectRef[],
  desired: readonly ObjectRef[],
  policy: PrunePolicy,
  opts: PlanPruneOptions = {},
): PrunePlan {
  const keep = new Set(desired.map(identityKey));
  const recorded = new Set(previous.map(identityKey));
  const base = (opts.converged ?? previous).filter((r) => recorded.has(identityKey(r)));
  const gone = previous.filter((r) => !keep.has(identityKey(r)));
  if (gone.length === 0) return { prune: [], held: [], base };
  // Objects added while a hold lasted were never converged: taking them away again is
  // no mass removal, and they do not count towards the whole either.
  const removed = base.filter((r) => !keep.has(identityKey(r))).length;
  const allowed = policy.allowed.has('*') || policy.allowed.has(app);
  const hint = `allow with --allow-prune ${app} or an "Allow-Prune: ${app}" trailer on the deploy commit`;
  let massReason: string | undefined;
  if (opts.wholeApp) massReason = `app "${app}" is no longer in the revision; removing a whole app is held (${hint})`;
  else if (base.length > 0 && removed === base.length)
    massReason = `the revision removes all ${base.length} objects of app "${app}" (${hint})`;
  else if (removed * 2 > base.length)
    massReason = `the revision removes ${removed} of ${base.length} objects of app "${app}", more than half (${hint})`;

  const prune: ObjectRef[] = [];
  const held: HeldPrune[] = [];
  for (const ref of gone) {
    if (isCrd(ref) && !policy.pruneCrds)
      held.push({
        ref,
        guard: 'crd',
        reason: 'CustomResourceDefinitions are never pruned by default (it would delete every custom resource of it)',
      });
    else if (massReason && !allowed) held.push({ ref, guard: 'mass', reason: massReason });
    else if (isNamespace(ref) && !allowed)
      held.push({
        ref,
        guard: 'namespace',
        reason: `pruning Namespace ${ref.name} deletes everything in it (${hint})`,
      });
    else prune.push(ref);
  }
  // Reverse apply order: workloads before their ConfigMaps, Namespaces last.
  prune.sort((a, b) => rank(b.kind) - rank(a.kind));
  return { prune, held, base };
}
