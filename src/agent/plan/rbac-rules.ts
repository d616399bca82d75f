import { Manifest, apiGroup } from '../../model/manifest';

/** An RBAC rule as it appears in a Role or ClusterRole. */
export interface Rule {
  /** API groups. @default - none (a non-resource rule) */
  readonly apiGroups?: readonly string[];
  /** Resources. @default - none (a non-resource rule) */
  readonly resources?: readonly string[];
  /** Restrict to these names. @default - all names */
  readonly resourceNames?: readonly string[];
  /** Non-resource URLs (`/healthz`). @default - none (a resource rule) */
  readonly nonResourceURLs?: readonly string[];
  readonly verbs: readonly string[];
}

/** The smallest thing a rule grants: one verb on one resource (one name, or all), or on one URL. */
export type Atom =
  | {
      readonly kind: 'resource';
      readonly verb: string;
      readonly group: string;
      readonly resource: string /** One object. @default - all objects */;
      readonly name?: string;
    }
  | { readonly kind: 'url'; readonly verb: string; readonly url: string };

/** Every atom of some rules (wildcards stay wildcards: granting `*` needs holding `*`). */
export function atomsOf(rules: readonly Rule[]): Atom[] {
  const out = new Map<string, Atom>();
  const add = (a: Atom) => out.set(formatAtom(a), a);
  for (const r of rules) {
    for (const verb of r.verbs) {
      for (const url of r.nonResourceURLs ?? []) add({ kind: 'url', verb, url });
      for (const group of r.apiGroups ?? []) {
        for (const resource of r.resources ?? []) {
          if (r.resourceNames && r.resourceNames.length > 0)
            for (const name of r.resourceNames) add({ kind: 'resource', verb, group, resource, name });
          else add({ kind: 'resource', verb, group, resource });
        }
      }
    }
  }
  return [...out.values()];
}

/** `verb resource[/name] (group)`: how a message names an atom. */
export function formatAtom(a: Atom): string {
  if (a.kind === 'url') return `${a.verb} ${a.url}`;
  const what = `${a.resource}${a.name ? `/${a.name}` : ''}`;
  return a.group ? `${a.verb} ${what}.${a.group}` : `${a.verb} ${what}`;
}

/** A Role or ClusterRole of a revision, with what it grants; undefined for other objects. */
export interface RoleGrant {
  readonly kind: 'Role' | 'ClusterRole';
  readonly name: string;
  /** Namespace of a Role. @default - none: a ClusterRole (granted cluster-wide when bound so) */
  readonly namespace?: string;
  readonly rules: readonly Rule[];
}

/**
 * The rules a Role or ClusterRole grants. An aggregated ClusterRole is left out: the
 * controller fills its rules from other roles, not the writer.
 */
export function roleGrant(m: Manifest): RoleGrant | undefined {
  if (apiGroup(m.apiVersion) !== 'rbac.authorization.k8s.io' || (m.kind !== 'Role' && m.kind !== 'ClusterRole'))
    return undefined;
  if (m.kind === 'ClusterRole' && m.aggregationRule) return undefined;
  const rules = Array.isArray(m.rules) ? (m.rules as Rule[]) : [];
  return {
    kind: m.kind,
    name: m.metadata.name,
    ...(m.kind === 'Role' && m.metadata.namespace ? { namespace: m.metadata.namespace } : {}),
    rules,
  };
}
