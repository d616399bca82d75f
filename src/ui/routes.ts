import { ObjectRef, apiGroup } from '../model/manifest';

/**
 * The UI's URLs, built and parsed in one place so links and the router agree. Every
 * page has a stable URL:
 *   /                                   overview (query: state, env, q)
 *   /apps/<ns>/<appsync>                one app
 *   /objects/<ns>/<appsync>/<group|core>/<version>/<kind>/<namespace|->/<name>
 *                                       one object of an app's inventory
 *   /sources                            the deploy source
 */
export type Route =
  | { readonly page: 'overview' }
  | { readonly page: 'app'; readonly namespace: string; readonly name: string }
  | { readonly page: 'object'; readonly namespace: string; readonly name: string; readonly ref: ObjectRef }
  | { readonly page: 'sources' }
  | { readonly page: 'events' }
  | { readonly page: 'asset'; readonly file: string }
  | { readonly page: 'not-found' };

// Namespaces are DNS labels, so "-" can never be one: it marks cluster-scoped objects.
const CLUSTER_SCOPED = '-';
const CORE_GROUP = 'core';

const seg = encodeURIComponent;

/** URL of an app page. */
export function appUrl(namespace: string, name: string): string {
  return `/apps/${seg(namespace)}/${seg(name)}`;
}

/** URL of the page of one inventory object of an app. */
export function objectUrl(namespace: string, name: string, ref: ObjectRef): string {
  const group = apiGroup(ref.apiVersion) || CORE_GROUP;
  const version = ref.apiVersion.slice(ref.apiVersion.indexOf('/') + 1);
  return `/objects/${seg(namespace)}/${seg(name)}/${seg(group)}/${seg(version)}/${seg(ref.kind)}/${seg(ref.namespace ?? CLUSTER_SCOPED)}/${seg(ref.name)}`;
}

/** Anchor of one deploy revision on the sources page. */
export function revisionUrl(sha: string): string {
  return `/sources#rev-${seg(sha)}`;
}

function decode(parts: readonly string[]): string[] | undefined {
  try {
    return parts.map((p) => decodeURIComponent(p));
  } catch {
    return undefined; // malformed %-escape
  }
}

/** The route of a request path (without the query). */
export function parseRoute(pathname: string): Route {
  if (pathname === '/') return { page: 'overview' };
  if (pathname === '/sources') return { page: 'sources' };
  if (pathname === '/events') return { page: 'events' };
  const parts = decode(pathname.split('/').slice(1));
  if (!parts || parts.some((p) => p === '')) return { page: 'not-found' };
  if (parts[0] === 'assets' && parts.length === 2) return { page: 'asset', file: parts[1] };
  if (parts[0] === 'apps' && parts.length === 3) return { page: 'app', namespace: parts[1], name: parts[2] };
  if (parts[0] === 'objects' && parts.length === 8) {
    const [, namespace, name, group, version, kind, objectNamespace, objectName] = parts;
    const apiVersion = group === CORE_GROUP ? version : `${group}/${version}`;
    const ref: ObjectRef =
      objectNamespace === CLUSTER_SCOPED
        ? { apiVersion, kind, name: objectName }
        : { apiVersion, kind, namespace: objectNamespace, name: objectName };
    return { page: 'object', namespace, name, ref };
  }
  return { page: 'not-found' };
}
