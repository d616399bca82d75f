import { apiGroup } from '../model/manifest';
import { UnknownKindError, isNotFound } from './errors';
import { KubeClient } from './client';

/** Where a kind lives in the API. */
export interface ResourceInfo {
  /** Plural resource name used in URLs, e.g. `deployments`. */
  readonly plural: string;
  readonly namespaced: boolean;
}

interface APIResourceList {
  readonly resources: ReadonlyArray<{ name: string; kind: string; namespaced: boolean }>;
}

/**
 * Resolves apiVersion/kind to URL paths through API discovery, one request per
 * group-version, cached. A miss refreshes the group-version once, since a CRD applied
 * in this reconcile makes new kinds appear.
 */
export class Discovery {
  private readonly cache = new Map<string, Promise<Map<string, ResourceInfo> | undefined>>();

  constructor(private readonly client: KubeClient) {}

  private load(apiVersion: string): Promise<Map<string, ResourceInfo> | undefined> {
    const path = apiVersion.includes('/') ? `/apis/${apiVersion}` : `/api/${apiVersion}`;
    return this.client.request<APIResourceList>('GET', path).then(
      (list) => {
        const m = new Map<string, ResourceInfo>();
        // Subresources ("deployments/scale") share the kind; skip them.
        for (const r of list.resources)
          if (!r.name.includes('/')) m.set(r.kind, { plural: r.name, namespaced: r.namespaced });
        return m;
      },
      (e: unknown) => {
        if (isNotFound(e)) return undefined;
        throw e;
      },
    );
  }

  /** Resource info of a kind; throws {@link UnknownKindError} if the API does not serve it. */
  public async resolve(apiVersion: string, kind: string): Promise<ResourceInfo> {
    let entry = this.cache.get(apiVersion);
    if (!entry) {
      entry = this.load(apiVersion);
      this.cache.set(apiVersion, entry);
    }
    let found = (await entry)?.get(kind);
    if (!found) {
      entry = this.load(apiVersion);
      this.cache.set(apiVersion, entry);
      found = (await entry)?.get(kind);
    }
    if (!found) {
      this.cache.delete(apiVersion);
      throw new UnknownKindError(apiVersion, kind);
    }
    return found;
  }

  /** Forgets everything (after CRDs were applied or removed). */
  public reset(): void {
    this.cache.clear();
  }

  /** Collection URL of a kind, in `namespace` when it is namespaced. */
  public static collectionPath(apiVersion: string, info: ResourceInfo, namespace?: string): string {
    const base = apiGroup(apiVersion) ? `/apis/${apiVersion}` : `/api/${apiVersion}`;
    return info.namespaced && namespace ? `${base}/namespaces/${namespace}/${info.plural}` : `${base}/${info.plural}`;
  }

  /** URL of one object. */
  public static objectPath(apiVersion: string, info: ResourceInfo, name: string, namespace?: string): string {
    return `${Discovery.collectionPath(apiVersion, info, namespace)}/${encodeURIComponent(name)}`;
  }
}
