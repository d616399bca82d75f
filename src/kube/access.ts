import { KubeClient } from './client';

/** What to ask the apiserver's authorizer about (a SelfSubjectAccessReview's attributes). */
export type AccessAttributes =
  | {
      readonly verb: string;
      readonly group: string;
      readonly resource: string;
      /** Subresource (`status`). @default - none */
      readonly subresource?: string;
      /** Namespace of the request. @default - none: cluster-wide (every namespace) */
      readonly namespace?: string;
      /** Object name. @default - none: every object */
      readonly name?: string;
    }
  | { readonly verb: string; readonly path: string };

interface Review {
  readonly status?: { readonly allowed?: boolean; readonly denied?: boolean; readonly reason?: string };
}

/**
 * Whether the client's identity (its own, or the account it impersonates) may do
 * this, as the apiserver's authorizers answer (`kubectl auth can-i`).
 */
export async function canI(client: KubeClient, a: AccessAttributes): Promise<boolean> {
  const spec =
    'path' in a
      ? { nonResourceAttributes: { verb: a.verb, path: a.path } }
      : {
          resourceAttributes: {
            verb: a.verb,
            group: a.group,
            resource: a.resource,
            subresource: a.subresource,
            namespace: a.namespace,
            name: a.name,
          },
        };
  const r = await client.request<Review>('POST', '/apis/authorization.k8s.io/v1/selfsubjectaccessreviews', {
    body: { apiVersion: 'authorization.k8s.io/v1', kind: 'SelfSubjectAccessReview', spec },
  });
  return r.status?.allowed === true;
}
