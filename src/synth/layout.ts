import { Manifest, apiGroup } from '../model/manifest';

/**
 * File names of an app's objects inside `dist/<env>/<app>/`: one YAML file per object,
 * `<kind>-<name>.yaml`. Two objects that would share a file (same kind and name in
 * another namespace or API group) both get the long form
 * `<kind>.<group>-<name>.<namespace>.yaml`. The result depends only on the set of
 * objects, never on their order.
 */
export function fileNames(manifests: readonly Manifest[]): string[] {
  const safe = (s: string) => s.toLowerCase().replace(/[^a-z0-9.-]+/g, '_');
  const short = manifests.map((m) => `${safe(m.kind)}-${safe(m.metadata.name)}.yaml`);
  const counts = new Map<string, number>();
  for (const s of short) counts.set(s, (counts.get(s) ?? 0) + 1);
  return manifests.map((m, i) => {
    if (counts.get(short[i]) === 1) return short[i];
    const group = apiGroup(m.apiVersion) || 'core';
    return `${safe(m.kind)}.${safe(group)}-${safe(m.metadata.name)}.${safe(m.metadata.namespace ?? 'cluster')}.yaml`;
  });
}
