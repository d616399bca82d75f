import { StatusStore } from '../agent/state/status-store';
import { InventoryStore } from '../agent/state/inventory';
import { Discovery } from '../kube/discovery';
import { ObjectRef, describeObject } from '../model/manifest';
import { InventoryReader, LiveNode } from '../ui/live-inventory';
import { describeProblem } from '../ui/problems';
import { selectAppSyncs } from './app-select';
import { agentNamespaceOf } from './cluster-options';
import { ClusterFlags, clusterClient } from './kube-flags';
import { Output } from './output';
import { document, oneLine, outputFormat, printDocument, table } from './output-format';

/** Flags of `synthops tree`. */
export interface TreeCommandOptions extends ClusterFlags {
  /** `-n, --namespace`: the agent's namespace. @default 'synthops-system' */
  readonly namespace?: string;
  /** `--agent-namespace`, the older spelling of `--namespace`. @default 'synthops-system' */
  readonly agentNamespace?: string;
  /** `--env`: the app's environment, when it is in several. @default - its only environment */
  readonly env?: string;
  /** `-o`: table, wide, json or yaml. @default 'table' */
  readonly output?: string;
}

/** One object of `tree -o json|yaml` (kind `AppTree`): an inventory object, or one its workload owns. */
export interface TreeItem {
  readonly apiVersion: string;
  readonly kind: string;
  /** Null for cluster-scoped objects. */
  readonly namespace: string | null;
  readonly name: string;
  /** Healthy, Progressing, Degraded, Missing (not in the cluster) or Unknown (not readable). */
  readonly health: LiveNode['health'];
  readonly reason: string;
  /** ReplicaSets of a Deployment, Pods of a ReplicaSet, StatefulSet, DaemonSet or Job. */
  readonly children: readonly TreeItem[];
}

const RANK: Record<LiveNode['health'], number> = { Healthy: 0, Progressing: 1, Unknown: 2, Missing: 3, Degraded: 4 };

function item(n: LiveNode): TreeItem {
  return {
    apiVersion: n.ref.apiVersion,
    kind: n.ref.kind,
    namespace: n.ref.namespace ?? null,
    name: n.ref.name,
    health: n.health,
    reason: n.reason,
    children: n.children.map(item),
  };
}

/** The worst health of the inventory objects (their children inform their own health already). */
export function worstHealth(items: readonly TreeItem[]): LiveNode['health'] {
  return items.reduce<LiveNode['health']>((w, i) => (RANK[i.health] > RANK[w] ? i.health : w), 'Healthy');
}

/** Tree rows: `├─`/`└─` before owned objects, as `kubectl tree` draws them. */
export function treeRows(items: readonly TreeItem[], wide: boolean): string[][] {
  const rows: string[][] = [];
  const walk = (list: readonly TreeItem[], prefix: string, top: boolean) => {
    list.forEach((i, k) => {
      const last = k === list.length - 1;
      const branch = top ? '' : last ? '└─ ' : '├─ ';
      const ref: ObjectRef = {
        apiVersion: i.apiVersion,
        kind: i.kind,
        namespace: i.namespace ?? undefined,
        name: i.name,
      };
      const cells = [`${prefix}${branch}${describeObject(ref)}`, i.health, wide ? i.reason : oneLine(i.reason, 70)];
      rows.push(wide ? [...cells.slice(0, 1), i.apiVersion, ...cells.slice(1)] : cells);
      walk(i.children, top ? '' : `${prefix}${last ? '   ' : '│  '}`, false);
    });
  };
  walk(items, '', true);
  return rows;
}

/** `synthops tree app`: the app's inventory, live, with each object's health. Exit 0 when every object is Healthy. */
export async function runTree(app: string, opts: TreeCommandOptions, io: Output): Promise<number> {
  const format = outputFormat(opts.output);
  const namespace = agentNamespaceOf(opts);
  const client = clusterClient(opts);
  try {
    const [sync] = await selectAppSyncs(new StatusStore(client, namespace), { app, env: opts.env }, true);
    const env = sync.spec.env;
    // The inventory ConfigMap is the record of what was applied; the AppSync's copy is for who may not read it.
    const inventory = (await new InventoryStore(client, namespace).list(env).catch(() => [])).find(
      (i) => i.app === app,
    );
    const refs = inventory?.objects ?? sync.status?.inventory ?? [];
    const live = await new InventoryReader(client, new Discovery(client)).read(app, refs);
    const items = live.groups.flatMap((g) => g.nodes).map(item);
    const health = worstHealth(items);
    const problems = live.problems.map(describeProblem);
    const code = health === 'Healthy' ? 0 : 1;
    if (format === 'json' || format === 'yaml') {
      printDocument(io, format, document('AppTree', items, { app, env, namespace, health, problems }));
      return code;
    }
    const revision = sync.status?.lastAppliedRevision?.slice(0, 12) ?? 'none';
    io.out(`app ${app} (env ${env}): ${health}; revision ${revision}; ${items.length} object(s) in its inventory`);
    if (items.length === 0) io.out('  the agent has not applied anything for this app yet');
    else
      for (const l of table([
        format === 'wide' ? ['OBJECT', 'API VERSION', 'HEALTH', 'REASON'] : ['OBJECT', 'HEALTH', 'REASON'],
        ...treeRows(items, format === 'wide'),
      ]))
        io.out(l);
    for (const p of problems) io.err(`warning: ${p}`);
    return code;
  } finally {
    client.close();
  }
}
