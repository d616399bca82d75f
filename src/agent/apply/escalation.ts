import { ObjectRef, apiGroup, describeObject, refOf } from '../../model/manifest';
import { mapLimit } from '../../model/concurrency';
import { KubeClient } from '../../kube/client';
import { AccessAttributes, canI } from '../../kube/access';
import { Atom, atomsOf, formatAtom, roleGrant } from '../plan/rbac-rules';
import { PreparedObject } from '../plan/prepare';

/** A write that would grant rights its writer does not hold (Kubernetes refuses it without `escalate`/`bind`). */
export interface Ungranted {
  readonly ref: ObjectRef;
  readonly origin: string;
  /** The rights the writer lacks (empty when they are unknown: a role it cannot read). */
  readonly atoms: readonly Atom[];
  /** The role a binding refers to, when the lack comes from binding it. @default - none: the object is a role */
  readonly binds?: string;
}

const RBAC = 'rbac.authorization.k8s.io';

function attributes(a: Atom, namespace: string | undefined): AccessAttributes {
  if (a.kind === 'url') return { verb: a.verb, path: a.url };
  const [resource, subresource] = a.resource.split('/');
  return {
    verb: a.verb,
    group: a.group,
    resource,
    ...(subresource ? { subresource } : {}),
    ...(namespace ? { namespace } : {}),
    ...(a.name ? { name: a.name } : {}),
  };
}

/** The atoms of `atoms` that the client's identity does not hold in `namespace` (cluster-wide without one). */
async function missing(
  client: KubeClient,
  atoms: readonly Atom[],
  namespace: string | undefined,
  concurrency: number,
): Promise<Atom[]> {
  const held = await mapLimit(atoms, concurrency, (a) => canI(client, attributes(a, namespace)));
  return atoms.filter((_, i) => !held[i]);
}

/**
 * The roles and bindings among `items` whose write would widen what their writer may
 * do: Kubernetes lets a writer without `escalate` (roles) or `bind` (bindings) grant
 * only rights it holds itself, and so does this check, asked of the apiserver's own
 * authorizer (SelfSubjectAccessReview) before anything is written. Pass only objects
 * that will be written (not in sync).
 */
export async function ungrantable(
  client: KubeClient,
  items: readonly PreparedObject[],
  all: readonly PreparedObject[],
  concurrency: number,
): Promise<Ungranted[]> {
  const out: Ungranted[] = [];
  const roles = new Map(
    all.flatMap((p) => {
      const g = roleGrant(p.manifest);
      return g ? [[`${g.kind}/${g.namespace ?? ''}/${g.name}` as string, g] as const] : [];
    }),
  );
  for (const p of items) {
    const m = p.manifest;
    const ref = refOf(m);
    const grant = roleGrant(m);
    if (grant) {
      const resource = grant.kind === 'Role' ? 'roles' : 'clusterroles';
      if (await canI(client, { verb: 'escalate', group: RBAC, resource, namespace: grant.namespace, name: grant.name }))
        continue;
      const lacks = await missing(client, atomsOf(grant.rules), grant.namespace, concurrency);
      if (lacks.length > 0) out.push({ ref, origin: p.origin, atoms: lacks });
      continue;
    }
    if (apiGroup(m.apiVersion) !== RBAC || (m.kind !== 'RoleBinding' && m.kind !== 'ClusterRoleBinding')) continue;
    const roleRef = m.roleRef as { kind?: string; name?: string } | undefined;
    if (!roleRef?.kind || !roleRef.name) continue;
    const namespace = m.kind === 'RoleBinding' ? m.metadata.namespace : undefined;
    const roleNamespace = roleRef.kind === 'Role' ? namespace : undefined;
    // A role of this revision is checked as a role: writing it needs what binding it needs.
    if (roles.has(`${roleRef.kind}/${roleNamespace ?? ''}/${roleRef.name}`)) continue;
    const resource = roleRef.kind === 'Role' ? 'roles' : 'clusterroles';
    if (await canI(client, { verb: 'bind', group: RBAC, resource, namespace, name: roleRef.name })) continue;
    const path =
      roleRef.kind === 'Role'
        ? `/apis/${RBAC}/v1/namespaces/${roleNamespace}/roles/${roleRef.name}`
        : `/apis/${RBAC}/v1/clusterroles/${roleRef.name}`;
    const live = await client.getOrUndefined<{ rules?: [] }>(path).catch(() => undefined);
    const binds = describeObject({
      apiVersion: `${RBAC}/v1`,
      kind: roleRef.kind,
      name: roleRef.name,
      ...(roleNamespace ? { namespace: roleNamespace } : {}),
    });
    if (!live) {
      out.push({ ref, origin: p.origin, atoms: [], binds });
      continue;
    }
    const lacks = await missing(client, atomsOf(live.rules ?? []), namespace, concurrency);
    if (lacks.length > 0) out.push({ ref, origin: p.origin, atoms: lacks, binds });
  }
  return out;
}

/** What an {@link Ungranted} adds, in one line (`adds get secrets in namespace x`). */
export function describeUngranted(u: Ungranted): string {
  const scope = u.ref.namespace ? `in namespace ${u.ref.namespace}` : 'cluster-wide';
  const rights = u.atoms.length > 0 ? u.atoms.map(formatAtom).join(', ') : 'rights it cannot read';
  return u.binds ? `binds ${u.binds}, which grants ${rights} ${scope}` : `adds ${rights} ${scope}`;
}
