import { APP_LABEL, ENV_LABEL } from '../model/keys';
import { Manifest } from '../model/manifest';
import { isSopsDocument } from '../model/sops';
import { ScopeResolver } from './scope';

const TOP_LEVEL_FIRST = ['apiVersion', 'kind', 'metadata'];

function sortKeys(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(sortKeys);
  if (value === null || typeof value !== 'object') return value;
  const out: Record<string, unknown> = {};
  for (const key of Object.keys(value).sort()) {
    const v = (value as Record<string, unknown>)[key];
    if (v !== undefined) out[key] = sortKeys(v);
  }
  return out;
}

/**
 * Makes a rendered object ready to write: the synthops labels stamped (they always
 * win, even over escape hatches that changed them), the namespace removed from
 * cluster-scoped kinds, and keys sorted (apiVersion, kind, metadata first) so the
 * bytes never depend on construction order.
 *
 * A SOPS document is passed through as it is: its MAC covers its values in order, so
 * a stamped label or a sorted key would make it undecryptable. The agent stamps the
 * labels after decrypting it.
 */
export function normalize(m: Manifest, app: string, env: string, scopes: ScopeResolver): Manifest {
  if (isSopsDocument(m)) return m;
  const metadata: Record<string, unknown> = { ...(m.metadata ?? {}) };
  metadata.labels = { ...(m.metadata?.labels ?? {}), [APP_LABEL]: app, [ENV_LABEL]: env };
  if (scopes.isClusterScoped(m.apiVersion, m.kind)) delete metadata.namespace;
  const sorted = sortKeys({ ...m, metadata }) as Record<string, unknown>;
  const out: Record<string, unknown> = {};
  for (const key of [...TOP_LEVEL_FIRST, ...Object.keys(sorted)]) {
    if (key in sorted && !(key in out)) out[key] = sorted[key];
  }
  return out as unknown as Manifest;
}
