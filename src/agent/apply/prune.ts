import { APP_LABEL, PRUNE_ANNOTATION, PRUNE_DISABLED } from '../../model/keys';
import { ObjectRef } from '../../model/manifest';
import { ObjectClient } from '../../kube/objects';
import { isForbidden } from '../../kube/errors';

/** What happened to one prune candidate. */
export interface PruneOutcome {
  readonly ref: ObjectRef;
  readonly result: 'deleted' | 'gone' | 'kept-disabled' | 'kept-foreign' | 'kept-forbidden';
  /** Why a candidate was kept. @default - none (deleted or gone) */
  readonly detail?: string;
}

/**
 * Deletes the planned objects one by one (reverse apply order), re-reading each
 * first: an object that no longer carries this app's label, or that is annotated
 * `synthops.dev/prune: disabled`, is left alone. Once `signal` fires, no further
 * delete starts (the rest stay in the inventory for the next reconcile).
 */
export async function executePrune(
  app: string,
  refs: readonly ObjectRef[],
  objects: ObjectClient,
  signal?: AbortSignal,
): Promise<PruneOutcome[]> {
  const out: PruneOutcome[] = [];
  for (const ref of refs) {
    if (signal?.aborted) break;
    const live = await objects.get(ref);
    if (!live) {
      out.push({ ref, result: 'gone' });
      continue;
    }
    const owner = live.metadata.labels?.[APP_LABEL];
    if (owner !== app) {
      out.push({
        ref,
        result: 'kept-foreign',
        detail: owner ? `now labelled for app "${owner}"` : 'no longer carries the app label',
      });
      continue;
    }
    if (live.metadata.annotations?.[PRUNE_ANNOTATION] === PRUNE_DISABLED) {
      out.push({ ref, result: 'kept-disabled', detail: `annotated ${PRUNE_ANNOTATION}: ${PRUNE_DISABLED}` });
      continue;
    }
    try {
      await objects.delete(ref);
    } catch (e) {
      // Not ours to delete (the agent's own Role in a namespace it leaves grants the delete it would need).
      if (!isForbidden(e)) throw e;
      out.push({ ref, result: 'kept-forbidden', detail: `may not delete it: ${e.message}` });
      continue;
    }
    out.push({ ref, result: 'deleted' });
  }
  return out;
}
