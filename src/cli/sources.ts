import { GitSourceStore } from '../agent/state/gitsource-store';
import { isNotFound } from '../kube/errors';
import { GitSource } from '../model/gitsource';
import { byteOrder } from '../model/manifest';
import { agentNamespaceOf } from './cluster-options';
import { ClusterFlags, clusterClient } from './kube-flags';
import { Output } from './output';
import { ago, document, oneLine, outputFormat, printDocument, table } from './output-format';

/** Flags of `synthops sources`. */
export interface SourcesCommandOptions extends ClusterFlags {
  /** `-n, --namespace`: the agent's namespace. @default 'synthops-system' */
  readonly namespace?: string;
  /** `--agent-namespace`, the older spelling of `--namespace`. @default 'synthops-system' */
  readonly agentNamespace?: string;
  /** `-o`: table, wide, json or yaml. @default 'table' */
  readonly output?: string;
}

/** One GitSource, as `sources -o json|yaml` prints it (kind `SourceStatusList`). */
export interface SourceStatusItem {
  readonly name: string;
  readonly namespace: string;
  readonly url: string;
  readonly branch: string;
  readonly path: string;
  readonly suspended: boolean;
  readonly dependsOn: readonly string[];
  /** The Ready condition: True, False or Unknown (the agent has not reported on it yet). */
  readonly ready: 'True' | 'False' | 'Unknown';
  /** Its reason (Succeeded, Progressing, SourceFailed, DependencyNotReady, ...), `NotReported` before the agent's first status. */
  readonly reason: string;
  readonly message: string;
  readonly lastFetchedRevision: string | null;
  readonly lastReadyRevision: string | null;
  readonly lastTransitionTime: string | null;
  readonly apps: readonly string[];
  /** Whether the status is about the current spec (false: the agent has not seen the last change yet). */
  readonly observed: boolean;
}

/** The machine-readable status of one GitSource (pure). */
export function sourceItem(gs: GitSource): SourceStatusItem {
  const st = gs.status ?? {};
  const ready = st.conditions?.find((c) => c.type === 'Ready');
  return {
    name: gs.metadata.name,
    namespace: gs.metadata.namespace ?? '',
    url: gs.spec.url,
    branch: gs.spec.branch,
    path: gs.spec.path ?? '.',
    suspended: gs.spec.suspend === true,
    dependsOn: gs.spec.dependsOn ?? [],
    ready: ready?.status ?? 'Unknown',
    reason: ready?.reason ?? 'NotReported',
    message: ready?.message ?? '',
    lastFetchedRevision: st.lastFetchedRevision ?? null,
    lastReadyRevision: st.lastReadyRevision ?? null,
    lastTransitionTime: ready?.lastTransitionTime ?? null,
    apps: st.apps ?? [],
    observed: st.observedGeneration !== undefined && st.observedGeneration === gs.metadata.generation,
  };
}

/** The sources table, as `flux get sources git` shows them; `wide` adds URL, branch, path, apps and dependencies. */
export function sourcesTable(items: readonly SourceStatusItem[], wide: boolean): string[] {
  const head = ['NAME', 'REVISION', 'SUSPENDED', 'READY', 'MESSAGE', 'SINCE'];
  const rows = [wide ? [...head, 'URL', 'BRANCH', 'PATH', 'APPS', 'DEPENDS ON'] : head];
  for (const i of items) {
    const revision = i.lastFetchedRevision ? (wide ? i.lastFetchedRevision : i.lastFetchedRevision.slice(0, 12)) : '-';
    const base = [
      i.name,
      revision,
      String(i.suspended),
      i.ready,
      `${i.reason}: ${oneLine(i.message, wide ? 200 : 70)}`,
      ago(i.lastTransitionTime ?? undefined),
    ];
    rows.push(wide ? [...base, i.url, i.branch, i.path, i.apps.join(',') || '-', i.dependsOn.join(',') || '-'] : base);
  }
  return table(rows);
}

/** `synthops sources`: the GitSources of the agent's namespace. Exit 0 when every one is Ready, 1 otherwise. */
export async function runSources(opts: SourcesCommandOptions, io: Output): Promise<number> {
  const format = outputFormat(opts.output);
  const namespace = agentNamespaceOf(opts);
  const client = clusterClient(opts);
  try {
    let listed: GitSource[];
    try {
      listed = await new GitSourceStore(client, namespace).list();
    } catch (e) {
      // The CRD is installed with the agent: without it there are no GitSources.
      if (!isNotFound(e)) throw e;
      listed = [];
    }
    const items = listed.map(sourceItem).sort((a, b) => byteOrder(a.name, b.name));
    const code = items.every((i) => i.ready === 'True') ? 0 : 1;
    if (format === 'json' || format === 'yaml') {
      printDocument(io, format, document('SourceStatusList', items, { namespace }));
      return code;
    }
    if (items.length === 0) {
      io.out(`no GitSources in namespace ${namespace}`);
      return 0;
    }
    for (const l of sourcesTable(items, format === 'wide')) io.out(l);
    return code;
  } finally {
    client.close();
  }
}
