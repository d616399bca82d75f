import { createHash } from 'crypto';
import { Manifest, ObjectRef, describeObject, refOf } from '../../model/manifest';

/** A managed object the watcher guards, with the fingerprint of its last known good state. */
export interface WatchTarget {
  readonly app: string;
  readonly ref: ObjectRef;
  readonly fingerprint: string;
  /** resourceVersion of that state, when the agent wrote it: older events are stale. @default - none: no event is taken as stale */
  readonly resourceVersion?: string;
}

/** Whether resourceVersion `a` is older than or equal to `b` (they are etcd revisions; if either is not a number, no). */
export function notNewer(a: string | undefined, b: string | undefined): boolean {
  if (!a || !b || !/^\d+$/.test(a) || !/^\d+$/.test(b)) return false;
  return BigInt(a) <= BigInt(b);
}

/** What changed: someone else modified or deleted a managed object. */
export interface DriftEvent {
  readonly app: string;
  readonly object: string;
  readonly change: 'modified' | 'deleted';
}

const VOLATILE_METADATA = ['resourceVersion', 'managedFields', 'generation', 'creationTimestamp', 'uid', 'selfLink'];

/**
 * What an object looks like apart from status and server bookkeeping. Controllers
 * update status all the time; that is not drift.
 */
export function fingerprint(m: Manifest): string {
  const metadata: Record<string, unknown> = { ...m.metadata };
  for (const k of VOLATILE_METADATA) delete metadata[k];
  const rest: Record<string, unknown> = { ...m, metadata };
  delete rest.status;
  return createHash('sha256').update(JSON.stringify(rest, Object.keys(flatten(rest)).sort())).digest('hex');
}

function flatten(v: unknown, out: Record<string, true> = {}): Record<string, true> {
  if (v && typeof v === 'object') {
    for (const [k, x] of Object.entries(v as Record<string, unknown>)) {
      out[k] = true;
      flatten(x, out);
    }
  }
  return out;
}

/** What to do with one watch event of a guarded object. */
export type Verdict =
  | { readonly action: 'ignore' }
  /** The agent is writing this app: judge the event once its write's answer is in. */
  | { readonly action: 'hold' }
  | { readonly action: 'drift'; readonly drift: DriftEvent; readonly fingerprint?: string };

/**
 * Judges one watch event of a guarded object: our own writes (held while the app is
 * being written, or not newer than the state we wrote) and status-only updates are
 * not drift; a deletion or a changed fingerprint by someone else is.
 */
export function judgeEvent(target: WatchTarget, type: string, m: Manifest, holding: ReadonlySet<string> | 'all' | undefined): Verdict {
  if (holding === 'all' || holding?.has(target.app)) return { action: 'hold' };
  // An event from before the agent's own write (held while it wrote): superseded.
  if (notNewer(m.metadata.resourceVersion as string | undefined, target.resourceVersion)) return { action: 'ignore' };
  const object = describeObject(refOf(m));
  if (type === 'DELETED') return { action: 'drift', drift: { app: target.app, object, change: 'deleted' } };
  const fp = fingerprint(m);
  if (fp === target.fingerprint) return { action: 'ignore' };
  return { action: 'drift', drift: { app: target.app, object, change: 'modified' }, fingerprint: fp };
}
