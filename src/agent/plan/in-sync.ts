import { createHash } from 'crypto';
import { DIGEST_ANNOTATION } from '../../model/keys';
import { Manifest } from '../../model/manifest';
import { applyEntry } from '../../kube/live';

/**
 * sha256 of an object as the agent applies it, leaving out the digest annotation itself.
 * Plain JSON, keys in the order given: the same file always gives the same digest (synth
 * output is key-sorted), and a file whose keys were merely reordered costs one dry-run,
 * never a wrong answer.
 */
export function appliedDigest(m: Manifest): string {
  const annotations = m.metadata.annotations as Record<string, string> | undefined;
  let metadata = m.metadata;
  if (annotations && DIGEST_ANNOTATION in annotations) {
    const rest = { ...annotations };
    delete rest[DIGEST_ANNOTATION];
    metadata = { ...m.metadata, annotations: Object.keys(rest).length > 0 ? rest : undefined };
  }
  return `sha256:${createHash('sha256')
    .update(JSON.stringify({ ...m, metadata }))
    .digest('hex')}`;
}

/** A copy of `m` carrying its {@link appliedDigest} annotation (or `digest`: a decrypted object's is of its encrypted form). */
export function withDigest(m: Manifest, digest: string = appliedDigest(m)): Manifest {
  const annotations = {
    ...(m.metadata.annotations as Record<string, string> | undefined),
    [DIGEST_ANNOTATION]: digest,
  };
  return { ...m, metadata: { ...m.metadata, annotations } };
}

/**
 * Whether every field of `desired` has the same value in `live`. Maps may hold more
 * keys in `live` (defaults, fields of other managers); lists must have the same length
 * with each item contained; `null` in `desired` means absent.
 */
export function contains(live: unknown, desired: unknown): boolean {
  if (desired === null || desired === undefined) return live === null || live === undefined;
  if (Array.isArray(desired)) {
    return Array.isArray(live) && live.length === desired.length && desired.every((d, i) => contains(live[i], d));
  }
  if (typeof desired === 'object') {
    if (!live || typeof live !== 'object' || Array.isArray(live)) return false;
    const l = live as Record<string, unknown>;
    return Object.entries(desired as Record<string, unknown>).every(([k, d]) => contains(l[k], d));
  }
  return live === desired;
}

/**
 * Whether applying `desired` (stamped by {@link withDigest}) could change nothing, known
 * without asking the API server. All must hold:
 * - the live object carries the same digest: synthops last applied exactly this, so no
 *   field it owned before is about to be dropped;
 * - every desired field still has its value in the live object: nobody changed a field
 *   synthops sets (drift);
 * - synthops still owns every desired field (see {@link covers}).
 * Anything else (values the server normalises, like quantities, or `stringData`) answers
 * false, and the caller falls back to a server-side dry-run: a false "no" costs one
 * request, a false "yes" would hide drift, so this errs towards "no".
 */
export function inSync(desired: Manifest, live: Manifest | undefined): boolean {
  if (!live) return false;
  const want = (desired.metadata.annotations as Record<string, string> | undefined)?.[DIGEST_ANNOTATION];
  if (
    want === undefined ||
    (live.metadata.annotations as Record<string, string> | undefined)?.[DIGEST_ANNOTATION] !== want ||
    !contains(live, desired)
  )
    return false;
  const owned = applyEntry(live)?.fieldsV1;
  if (!owned) return false;
  // Identity fields are not in field sets.
  const { apiVersion: _v, kind: _k, metadata, ...rest } = desired;
  const { name: _n, namespace: _ns, ...meta } = metadata;
  return covers(owned, { ...rest, metadata: meta });
}

type FieldSet = Readonly<Record<string, unknown>>;

/**
 * Whether synthops still owns every field of `desired` (down to maps; list items are
 * left to {@link contains}). Another manager changing a field takes it over: its
 * ownership moves away even when the value is later set back, and for fields that are
 * atomic (a Service's selector, label selectors, `x-kubernetes-map-type: atomic`) an
 * added key shows only here, since {@link contains} lets maps hold more keys.
 */
export function covers(fields: FieldSet, desired: Readonly<Record<string, unknown>>): boolean {
  for (const [k, v] of Object.entries(desired)) {
    if (v === null || v === undefined) continue;
    const sub = fields[`f:${k}`] as FieldSet | undefined;
    if (!sub) return false;
    // An empty set below a map means the map is owned as a whole (atomic).
    if (
      typeof v === 'object' &&
      !Array.isArray(v) &&
      Object.keys(sub).length > 0 &&
      !covers(sub, v as Record<string, unknown>)
    )
      return false;
  }
  return true;
}
