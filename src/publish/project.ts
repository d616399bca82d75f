/**
 * Projects an object onto a managedFields field set (fieldsV1), so a diff shows only
 * the fields one manager owns. Keys: `f:<field>`, `k:<json key>` (list item by merge
 * key), `v:<json value>` (set item), `i:<index>`, and `.` (the element itself).
 */
export type FieldSet = Record<string, unknown>;

function matchesKey(item: unknown, key: Record<string, unknown>): boolean {
  return (
    typeof item === 'object' &&
    item !== null &&
    Object.entries(key).every(([k, v]) => JSON.stringify((item as Record<string, unknown>)[k]) === JSON.stringify(v))
  );
}

/** The part of `value` covered by `fields`. */
export function project(value: unknown, fields: FieldSet): unknown {
  const keys = Object.keys(fields).filter((k) => k !== '.');
  if (keys.length === 0) return value;
  if (Array.isArray(value)) {
    const out: unknown[] = [];
    for (const k of keys) {
      const sub = fields[k] as FieldSet;
      if (k.startsWith('k:')) {
        const key = JSON.parse(k.slice(2)) as Record<string, unknown>;
        const item = value.find((i) => matchesKey(i, key));
        if (item !== undefined) out.push(project(item, sub));
      } else if (k.startsWith('v:')) {
        const v = JSON.parse(k.slice(2)) as unknown;
        if (value.some((i) => JSON.stringify(i) === JSON.stringify(v))) out.push(v);
      } else if (k.startsWith('i:')) {
        const item = value[Number(k.slice(2))];
        if (item !== undefined) out.push(project(item, sub));
      }
    }
    return out;
  }
  if (typeof value !== 'object' || value === null) return value;
  const out: Record<string, unknown> = {};
  for (const k of keys.filter((x) => x.startsWith('f:')).sort()) {
    const name = k.slice(2);
    const v = (value as Record<string, unknown>)[name];
    if (v !== undefined) out[name] = project(v, fields[k] as FieldSet);
  }
  return out;
}
