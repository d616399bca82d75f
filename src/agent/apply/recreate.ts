import { FORCE_ANNOTATION, FORCE_ENABLED } from '../../model/keys';
import { SynthopsError } from '../../model/errors';
import { Manifest, describeObject, refOf } from '../../model/manifest';
import { immutableFields } from '../../kube/errors';
import { ObjectClient } from '../../kube/objects';
import { errorMessage } from './change-set';
import { WaitOptions } from './wait';
import { formatDuration } from '../../model/duration';

/** An object deleted for recreation was still there when the wait ended. */
export class RecreateTimeoutError extends SynthopsError {}

/** Whether the object asks to be deleted and recreated when an immutable field changes. */
export function forceEnabled(m: Manifest): boolean {
  return m.metadata.annotations?.[FORCE_ANNOTATION] === FORCE_ENABLED;
}

/**
 * The problem to report for a refused apply. An immutable-field refusal (whose
 * apiserver message quotes the whole old value) becomes one line naming the fields and
 * the annotation that lets synthops recreate the object; any other refusal keeps the
 * apiserver's words.
 */
export function refusalMessage(e: unknown, m: Manifest): string {
  const fields = immutableFields(e);
  if (fields.length === 0) return errorMessage(e);
  const what = `${fields.join(', ')} ${fields.length === 1 ? 'is' : 'are'} immutable and changed`;
  return forceEnabled(m)
    ? `${what}; recreating it failed: ${errorMessage(e)}`
    : `${what}: the apiserver refuses to change ${fields.length === 1 ? 'it' : 'them'} in place (HTTP 422 Invalid). To have synthops delete and recreate the object, annotate it ${FORCE_ANNOTATION}: ${FORCE_ENABLED}`;
}

/** What {@link applyOrRecreate} did. */
export interface ApplyOutcome {
  readonly object: Manifest;
  readonly created: boolean;
  /** The live object was deleted and created again (immutable fields changed). */
  readonly recreated: boolean;
}

/**
 * Server-side apply of `m`. When the apiserver refuses it because immutable fields
 * changed and `m` carries `synthops.dev/force: enabled`, `m` is first validated as a
 * new object (nothing is deleted for an object that could not be created again), the
 * live object is deleted in the foreground (its dependents, such as a Job's Pods,
 * first) and awaited until gone, and `m` is applied again.
 */
export async function applyOrRecreate(objects: ObjectClient, m: Manifest, wait: WaitOptions): Promise<ApplyOutcome> {
  try {
    return { ...(await objects.applyReporting(m)), recreated: false };
  } catch (e) {
    if (!forceEnabled(m) || immutableFields(e).length === 0) throw e;
  }
  await objects.validateAsNew(m);
  const ref = refOf(m);
  const old = await objects.get(ref);
  await objects.delete(ref, 'Foreground');
  const deadline = Date.now() + wait.timeoutMs;
  for (;;) {
    const live = await objects.get(ref);
    if (!live || (old && live.metadata.uid !== old.metadata.uid)) break;
    if (Date.now() >= deadline)
      throw new RecreateTimeoutError(
        `${describeObject(ref)} was deleted to be recreated, but was still there after ${formatDuration(wait.timeoutMs)} (finalizers: ${((live.metadata.finalizers as string[] | undefined) ?? []).join(', ') || 'none'})`,
      );
    await new Promise((r) => setTimeout(r, wait.pollMs));
  }
  return { ...(await objects.applyReporting(m)), recreated: true };
}
