import { createHash } from 'crypto';
import { isDeepStrictEqual } from 'util';
import { Manifest, ObjectRef, describeObject, refOf } from '../../model/manifest';
import { applyEntry } from '../../kube/live';

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

type FieldSet = Readonly<Record<string, unknown>>;

/**
 * What synthops owns of an object: the field set of its own apply entry and the values
 * at those fields. Changes by others to fields synthops does not set (status, a
 * controller's annotations, an autoscaler's replicas, another manager's labels) leave
 * it as it is; a changed owned value, or another manager taking a field over, moves
 * it. Without synthops' entry (an object it never applied, or whose entry was
 * removed), everything apart from status and server bookkeeping counts.
 */
export function fingerprint(m: Manifest): string {
  const owned = applyEntry(m)?.fieldsV1;
  if (!owned) return wholeFingerprint(m);
  return createHash('sha256')
    .update(canonical({ owned, values: project(m, owned) }))
    .digest('hex');
}

/** The values of `value` at the fields of a fieldsV1 set (`f:` keys, `k:` list keys, `v:` set values, `i:` indexes). */
export function project(value: unknown, fields: FieldSet): unknown {
  const keys = Object.keys(fields).filter((k) => k !== '.');
  // A leaf (or a map owned as a whole): its whole value.
  if (keys.length === 0) return value ?? null;
  const out: Record<string, unknown> = {};
  for (const k of keys) out[k] = project(select(value, k), (fields[k] ?? {}) as FieldSet);
  return out;
}

function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function parseKey(s: string): unknown {
  try {
    return JSON.parse(s);
  } catch {
    return undefined;
  }
}

function select(value: unknown, k: string): unknown {
  const tag = k.slice(0, 2);
  const rest = k.slice(2);
  if (tag === 'f:') return isRecord(value) ? value[rest] : undefined;
  if (!Array.isArray(value)) return undefined;
  if (tag === 'i:') return value[Number(rest)];
  const key = parseKey(rest);
  if (tag === 'v:') return value.some((item) => isDeepStrictEqual(item, key));
  if (tag === 'k:' && isRecord(key))
    return value.find(
      (item) => isRecord(item) && Object.entries(key).every(([kk, vv]) => isDeepStrictEqual(item[kk], vv)),
    );
  return undefined;
}

/** JSON with map keys sorted, so equal values always give equal text. */
function canonical(v: unknown): string {
  if (Array.isArray(v)) return `[${v.map(canonical).join(',')}]`;
  if (isRecord(v))
    return `{${Object.keys(v)
      .sort()
      .map((k) => `${JSON.stringify(k)}:${canonical(v[k])}`)
      .join(',')}}`;
  return JSON.stringify(v ?? null);
}

/**
 * What an object looks like apart from status and server bookkeeping. Controllers
 * update status all the time; that is not drift.
 */
function wholeFingerprint(m: Manifest): string {
  const metadata: Record<string, unknown> = { ...m.metadata };
  for (const k of VOLATILE_METADATA) delete metadata[k];
  const rest: Record<string, unknown> = { ...m, metadata };
  delete rest.status;
  return createHash('sha256')
    .update(JSON.stringify(rest, Object.keys(flatten(rest)).sort()))
    .digest('hex');
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
export function judgeEvent(
  target: WatchTarget,
  type: string,
  m: Manifest,
  holding: ReadonlySet<string> | 'all' | undefined,
): Verdict {
  if (holding === 'all' || holding?.has(target.app)) return { action: 'hold' };
  // An event from before the agent's own write (held while it wrote): superseded.
  if (notNewer(m.metadata.resourceVersion as string | undefined, target.resourceVersion)) return { action: 'ignore' };
  const object = describeObject(refOf(m));
  if (type === 'DELETED') return { action: 'drift', drift: { app: target.app, object, change: 'deleted' } };
  const fp = fingerprint(m);
  if (fp === target.fingerprint) return { action: 'ignore' };
  return { action: 'drift', drift: { app: target.app, object, change: 'modified' }, fingerprint: fp };
}
