import { diffLines } from 'diff';
import * as YAML from 'yaml';
import { applyEntry } from '../kube/live';
import { project } from '../publish/project';
import { Manifest } from '../model/manifest';

/** One line of a rendered comparison: `del` is live only, `add` desired only. */
export interface DiffLine {
  readonly kind: 'same' | 'add' | 'del';
  readonly text: string;
}

/** Desired against live, cut down to what synthops owns. */
export interface Comparison {
  readonly lines: readonly DiffLine[];
  readonly added: number;
  readonly removed: number;
}

/**
 * The object reduced to the fields of synthops' own server-side apply entry (as
 * `synthops diff --cluster` does in src/publish/diff.ts, whose helper is not exported).
 */
export function ownedFields(m: Manifest): unknown {
  const fields = applyEntry(m)?.fieldsV1;
  return fields ? project(m, fields) : {};
}

/**
 * The comparison `synthops diff --cluster` makes: the server-side dry-run result of the
 * desired object and the live object, both cut to the fields synthops owns in the
 * dry-run result, so defaults and other managers' fields are no noise.
 */
export function compareDryRun(dryRun: Manifest, live: Manifest | undefined): Comparison {
  const desired = ownedFields(dryRun);
  const current = live
    ? ownedFields({ ...live, metadata: { ...live.metadata, managedFields: dryRun.metadata.managedFields } })
    : undefined;
  return compareValues(current, desired, dryRun.kind);
}

/**
 * The live object cut to the shape of `shape` (the same keys, recursively; lists
 * whole): for a desired file when no dry-run is allowed.
 */
export function projectLike(value: unknown, shape: unknown): unknown {
  if (shape === null || typeof shape !== 'object' || Array.isArray(shape)) return value;
  if (value === null || typeof value !== 'object' || Array.isArray(value)) return value;
  const out: Record<string, unknown> = {};
  for (const k of Object.keys(shape).sort()) {
    const v = (value as Record<string, unknown>)[k];
    if (v !== undefined) out[k] = projectLike(v, (shape as Record<string, unknown>)[k]);
  }
  return out;
}

/** The desired file against the live object cut to the file's own fields (no dry-run: server defaults inside lists may show). */
export function compareFile(desired: Manifest, live: Manifest | undefined): Comparison {
  const sorted = projectLike(desired, desired);
  return compareValues(live ? projectLike(live, desired) : undefined, sorted, desired.kind);
}

const SECRET_FIELDS = ['data', 'stringData'];

/**
 * Secret values are never shown: each becomes a placeholder that says only whether
 * the two sides agree.
 */
export function hideSecretValues(before: unknown, after: unknown): [unknown, unknown] {
  const hide = (side: unknown, other: unknown): unknown => {
    if (!side || typeof side !== 'object') return side;
    const out: Record<string, unknown> = { ...(side as Record<string, unknown>) };
    for (const f of SECRET_FIELDS) {
      const values = out[f] as Record<string, unknown> | undefined;
      if (!values || typeof values !== 'object') continue;
      const others = ((other ?? {}) as Record<string, Record<string, unknown> | undefined>)[f] ?? {};
      out[f] = Object.fromEntries(
        Object.keys(values)
          .sort()
          .map((k) => [
            k,
            others[k] === undefined
              ? '(hidden)'
              : others[k] === values[k]
                ? '(hidden, same on both sides)'
                : '(hidden, differs)',
          ]),
      );
    }
    return out;
  };
  return [hide(before, after), hide(after, before)];
}

function yaml(v: unknown): string {
  return v === undefined ? '' : YAML.stringify(v, { lineWidth: 0 });
}

/** Line diff of two values as YAML (live before, desired after). */
export function compareValues(live: unknown, desired: unknown, kind: string): Comparison {
  const [before, after] = kind === 'Secret' ? hideSecretValues(live, desired) : [live, desired];
  const lines: DiffLine[] = [];
  let added = 0;
  let removed = 0;
  for (const c of diffLines(yaml(before), yaml(after))) {
    const kindOf: DiffLine['kind'] = c.added ? 'add' : c.removed ? 'del' : 'same';
    for (const text of c.value.replace(/\n$/, '').split('\n')) {
      lines.push({ kind: kindOf, text });
      if (kindOf === 'add') added++;
      if (kindOf === 'del') removed++;
    }
  }
  return { lines, added, removed };
}

/** A rendered diff line, or a run of unchanged lines left out. */
export type ShownLine = DiffLine | { readonly kind: 'skip'; readonly count: number };

/**
 * Long comparisons keep `context` unchanged lines around each change and fold the rest;
 * short ones (up to `whole` lines) are shown whole, since YAML nesting is context too.
 */
export function foldUnchanged(lines: readonly DiffLine[], context = 5, whole = 60): ShownLine[] {
  if (lines.length <= whole) return [...lines];
  const near = new Array<boolean>(lines.length).fill(false);
  lines.forEach((l, i) => {
    if (l.kind === 'same') return;
    for (let j = Math.max(0, i - context); j <= Math.min(lines.length - 1, i + context); j++) near[j] = true;
  });
  const out: ShownLine[] = [];
  let skipped = 0;
  lines.forEach((l, i) => {
    if (near[i]) {
      if (skipped > 0) out.push({ kind: 'skip', count: skipped });
      skipped = 0;
      out.push(l);
    } else skipped++;
  });
  if (skipped > 0) out.push({ kind: 'skip', count: skipped });
  return out;
}

/** One manager's entry of `metadata.managedFields`, summarised. */
export interface FieldOwner {
  readonly manager: string;
  readonly operation: string;
  /** The subresource it wrote (`status`, `scale`). @default - the object itself */
  readonly subresource?: string;
  /** When it last wrote. @default - unknown */
  readonly time?: string;
  /** Dotted paths of the fields it owns, a few levels deep. */
  readonly fields: readonly string[];
}

/** Dotted field paths of a fieldsV1 set, at most `depth` levels deep. */
export function fieldPaths(fields: Readonly<Record<string, unknown>> | undefined, depth = 3, prefix = ''): string[] {
  if (!fields) return [];
  const out: string[] = [];
  for (const [k, v] of Object.entries(fields)) {
    if (k === '.') continue;
    const name = k.startsWith('f:')
      ? k.slice(2)
      : k.startsWith('k:')
        ? `[${k.slice(2)}]`
        : k.startsWith('v:')
          ? `[=${k.slice(2)}]`
          : k.startsWith('i:')
            ? `[${k.slice(2)}]`
            : k;
    const p = prefix ? (name.startsWith('[') ? `${prefix}${name}` : `${prefix}.${name}`) : name;
    const sub = v as Record<string, unknown> | undefined;
    const leaf = !sub || Object.keys(sub).filter((x) => x !== '.').length === 0;
    if (leaf || depth <= 1) out.push(p);
    else out.push(...fieldPaths(sub, depth - 1, p));
  }
  return out.sort();
}

/** Who owns which fields of an object. */
export function fieldOwners(m: Manifest): FieldOwner[] {
  const entries = (m.metadata.managedFields ?? []) as ReadonlyArray<{
    manager?: string;
    operation?: string;
    subresource?: string;
    time?: string;
    fieldsV1?: Record<string, unknown>;
  }>;
  return entries.map((e) => ({
    manager: e.manager ?? '(unnamed)',
    operation: e.operation ?? '',
    subresource: e.subresource,
    time: e.time,
    fields: fieldPaths(e.fieldsV1),
  }));
}
