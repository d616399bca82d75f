import { mapLimit } from '../model/concurrency';
import { Discovery, ResourceInfo } from '../kube/discovery';
import { UnknownKindError } from '../kube/errors';
import type { KubeClient } from '../kube/client';
import { APP_LABEL } from '../model/keys';
import { Manifest, ObjectRef, apiGroup, identityKey, refOf } from '../model/manifest';
import { LiveHealth, liveHealth } from './health-detail';
import { ReadProblem, readProblem } from './problems';

/** One object of the tree: an inventory object, or something it owns. */
export interface LiveNode {
  readonly ref: ObjectRef;
  /** The live object. @default - none: it does not exist or could not be read */
  readonly object?: Manifest;
  readonly health: LiveHealth['health'] | 'Missing' | 'Unknown';
  readonly reason: string;
  /** Owned objects (ReplicaSets of a Deployment, Pods of a ReplicaSet), where readable. */
  readonly children: readonly LiveNode[];
}

/** An app's inventory as it is live, grouped by kind. */
export interface LiveInventory {
  readonly groups: ReadonlyArray<{ readonly kind: string; readonly nodes: readonly LiveNode[] }>;
  /** Reads that failed (a kind not readable in a namespace), each said once. */
  readonly problems: readonly ReadProblem[];
}

interface Owned {
  readonly metadata: {
    readonly uid?: string;
    readonly ownerReferences?: ReadonlyArray<{ readonly uid: string; readonly controller?: boolean }>;
  };
}

/** Kinds whose Pods (directly, or through ReplicaSets) are shown under them. */
const POD_OWNERS = new Set(['StatefulSet', 'DaemonSet', 'Job', 'ReplicaSet']);
const MAX_CHILDREN = 20;

function selectorOf(m: Manifest): string | undefined {
  const labels = ((m.spec ?? {}) as { selector?: { matchLabels?: Record<string, string> } }).selector?.matchLabels;
  if (!labels || Object.keys(labels).length === 0) return undefined;
  return Object.entries(labels)
    .map(([k, v]) => `${k}=${v}`)
    .join(',');
}

/** Objects of `items` that `owner` controls. */
export function ownedBy(owner: Manifest, items: readonly Manifest[]): Manifest[] {
  const uid = (owner as unknown as Owned).metadata.uid;
  if (!uid) return [];
  return items.filter((i) => (i as unknown as Owned).metadata.ownerReferences?.some((r) => r.uid === uid));
}

/**
 * Reads an app's inventory live with one list per kind and namespace (by the app
 * label), and the ReplicaSets and Pods its workloads own with one list per namespace
 * and selector. Whatever the user may not read is reported, not fatal.
 */
export class InventoryReader {
  constructor(
    private readonly client: KubeClient,
    private readonly discovery: Discovery,
  ) {}

  /** The live inventory of `app`. */
  public async read(app: string, refs: readonly ObjectRef[]): Promise<LiveInventory> {
    const problems = new Map<string, ReadProblem>();
    const lists = new Map<string, Promise<Map<string, Manifest> | undefined>>();
    const list = (
      apiVersion: string,
      kind: string,
      namespace: string | undefined,
      labelSelector: string | undefined,
    ): Promise<Map<string, Manifest> | undefined> => {
      const key = `${apiVersion}|${kind}|${namespace ?? ''}|${labelSelector ?? ''}`;
      if (!lists.has(key)) lists.set(key, this.list(apiVersion, kind, namespace, labelSelector, problems));
      return lists.get(key)!;
    };

    const nodes = await mapLimit([...refs], 8, async (ref): Promise<LiveNode> => {
      const found = await list(ref.apiVersion, ref.kind, ref.namespace, `${APP_LABEL}=${app}`);
      if (!found) return { ref, health: 'Unknown', reason: 'not readable', children: [] };
      const object = found.get(identityKey(ref));
      if (!object)
        return {
          ref,
          health: 'Missing',
          reason: 'not found in the cluster (or no longer labelled for this app)',
          children: [],
        };
      return { ref, object, ...liveHealth(object), children: await this.children(object, list) };
    });

    const byKind = new Map<string, LiveNode[]>();
    for (const n of nodes) {
      if (!byKind.has(n.ref.kind)) byKind.set(n.ref.kind, []);
      byKind.get(n.ref.kind)!.push(n);
    }
    const groups = [...byKind.entries()]
      .sort(([a], [b]) => a.localeCompare(b))
      .map(([kind, ns]) => ({ kind, nodes: ns.sort((a, b) => identityKey(a.ref).localeCompare(identityKey(b.ref))) }));
    return { groups, problems: [...problems.values()] };
  }

  private async children(
    owner: Manifest,
    list: (
      apiVersion: string,
      kind: string,
      namespace: string | undefined,
      sel: string | undefined,
    ) => Promise<Map<string, Manifest> | undefined>,
  ): Promise<LiveNode[]> {
    const ns = owner.metadata.namespace;
    let kinds: Array<[string, string]>;
    if (owner.kind === 'Deployment' && apiGroup(owner.apiVersion) === 'apps') kinds = [['apps/v1', 'ReplicaSet']];
    else if (POD_OWNERS.has(owner.kind)) kinds = [['v1', 'Pod']];
    else return [];
    const sel = selectorOf(owner);
    const out: LiveNode[] = [];
    for (const [apiVersion, kind] of kinds) {
      const items = await list(apiVersion, kind, ns, sel);
      if (!items) continue;
      const owned = ownedBy(owner, [...items.values()])
        // Newest first: the current ReplicaSet leads, old ones (scaled to 0) follow.
        .sort(
          (a, b) =>
            String(b.metadata.creationTimestamp ?? '').localeCompare(String(a.metadata.creationTimestamp ?? '')) ||
            a.metadata.name.localeCompare(b.metadata.name),
        )
        .slice(0, MAX_CHILDREN);
      for (const o of owned)
        out.push({ ref: refOf(o), object: o, ...liveHealth(o), children: await this.children(o, list) });
    }
    return out;
  }

  private async list(
    apiVersion: string,
    kind: string,
    namespace: string | undefined,
    labelSelector: string | undefined,
    problems: Map<string, ReadProblem>,
  ): Promise<Map<string, Manifest> | undefined> {
    let path: string;
    let info: ResourceInfo;
    try {
      info = await this.discovery.resolve(apiVersion, kind);
      path = Discovery.collectionPath(apiVersion, info, info.namespaced ? namespace : undefined);
    } catch (e) {
      if (e instanceof UnknownKindError) return new Map(); // the kind is gone: every object of it is missing
      problems.set(
        `discovery|${apiVersion}`,
        readProblem(e, 'get', { resource: 'discovery', group: apiGroup(apiVersion) }),
      );
      return undefined;
    }
    try {
      const l = await this.client.request<{ items: Manifest[] }>('GET', path, { query: { labelSelector } });
      // List items carry no apiVersion/kind of their own.
      return new Map(
        l.items.map((i) => {
          const m = { ...i, apiVersion, kind };
          return [identityKey(refOf(m)), m];
        }),
      );
    } catch (e) {
      const target = {
        resource: info.plural,
        group: apiGroup(apiVersion),
        namespace: info.namespaced ? namespace : undefined,
      };
      problems.set(`${apiVersion}|${kind}|${namespace ?? ''}`, readProblem(e, 'list', target));
      return undefined;
    }
  }
}
