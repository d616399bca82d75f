import { AppSync, Condition, HistoryEntry, StatusStore } from '../agent/state/status-store';
import { AGENT_VERSION_ANNOTATION, SOURCE_LABEL } from '../model/keys';
import { ObjectHealth } from '../model/health';
import { isSuspended, selectAppSyncs } from './app-select';
import { agentNamespaceOf } from './cluster-options';
import { EventItem, eventItem } from './events';
import { ClusterFlags, clusterClient } from './kube-flags';
import { Output } from './output';
import { ago, document, oneLine, outputFormat, printDocument, table } from './output-format';

/** Flags of `synthops status`. */
export interface StatusCommandOptions extends ClusterFlags {
  /** `-n, --namespace`: the agent's namespace. @default 'synthops-system' */
  readonly namespace?: string;
  /** `--agent-namespace`, the older spelling of `--namespace`. @default 'synthops-system' */
  readonly agentNamespace?: string;
  /** `--env`: only this environment. @default - every environment */
  readonly env?: string;
  /** `-o`: table, wide, json or yaml. @default 'table' */
  readonly output?: string;
}

/** One app in one environment, as `status -o json|yaml` prints it (kind `AppStatusList`). */
export interface AppStatusItem {
  /** The AppSync's name, `<env>.<app>`. */
  readonly name: string;
  readonly namespace: string;
  readonly app: string;
  readonly env: string;
  /** The source that owns it (`synthops.dev/source`), or null. */
  readonly source: string | null;
  /** Writes suspended (spec.suspend or the `synthops.dev/suspend` annotation). */
  readonly suspended: boolean;
  /** The Ready condition: True, False or Unknown (never reconciled). */
  readonly ready: Condition['status'];
  /** Its reason (ReconciliationSucceeded, ReconcileFailed, Progressing, ...), `NeverReconciled` before the first reconcile. */
  readonly reason: string;
  readonly message: string;
  readonly lastAppliedRevision: string | null;
  readonly lastAttemptedRevision: string | null;
  readonly lastSyncTime: string | null;
  readonly commitToConvergedSeconds: number | null;
  readonly lastHandledReconcileAt: string | null;
  /** The version of the agent that last wrote it, or null. */
  readonly agentVersion: string | null;
  readonly conditions: readonly Condition[];
  readonly errors: readonly string[];
  readonly unhealthy: readonly ObjectHealth[];
  readonly held: readonly string[];
  readonly drift: readonly string[];
  readonly history: readonly HistoryEntry[];
  /** Recent Events, oldest first: only when one app is asked for. @default - not listed */
  readonly events?: readonly EventItem[];
}

function ready(s: AppSync): Condition | undefined {
  return s.status?.conditions?.find((c) => c.type === 'Ready');
}

/** The machine-readable status of one AppSync. */
export function statusItem(s: AppSync, events?: readonly EventItem[]): AppStatusItem {
  const st = s.status ?? {};
  const r = ready(s);
  return {
    name: s.metadata.name,
    namespace: s.metadata.namespace,
    app: s.spec.app,
    env: s.spec.env,
    source: s.metadata.labels?.[SOURCE_LABEL] ?? null,
    suspended: isSuspended(s),
    ready: r?.status ?? 'Unknown',
    reason: r?.reason ?? 'NeverReconciled',
    message: r?.message ?? '',
    lastAppliedRevision: st.lastAppliedRevision ?? null,
    lastAttemptedRevision: st.lastAttemptedRevision ?? null,
    lastSyncTime: st.lastSyncTime ?? null,
    commitToConvergedSeconds: st.commitToConvergedSeconds ?? null,
    lastHandledReconcileAt: st.lastHandledReconcileAt ?? null,
    agentVersion: s.metadata.annotations?.[AGENT_VERSION_ANNOTATION] ?? null,
    conditions: st.conditions ?? [],
    errors: st.errors ?? [],
    unhealthy: st.unhealthy ?? [],
    held: st.held ?? [],
    drift: st.drift ?? [],
    history: st.history ?? [],
    ...(events ? { events } : {}),
  };
}

function c2c(i: AppStatusItem): string {
  return i.commitToConvergedSeconds === null ? '-' : `${i.commitToConvergedSeconds.toFixed(1)}s`;
}

/** Explains one app: conditions, failed and unhealthy objects, held prunes, drift, history, recent Events. */
function explain(i: AppStatusItem): string[] {
  const lines = [
    `app ${i.app} (env ${i.env})${i.suspended ? ' SUSPENDED' : ''}`,
    `  ready: ${i.ready} (${i.reason === 'NeverReconciled' ? 'never reconciled' : i.reason}) ${i.message}`.trimEnd(),
    `  last applied revision: ${i.lastAppliedRevision ?? '-'}; last attempted: ${i.lastAttemptedRevision ?? '-'}; last sync ${ago(i.lastSyncTime ?? undefined)}`,
  ];
  if (i.commitToConvergedSeconds !== null) lines.push(`  commit to converged: ${c2c(i)}`);
  const section = (title: string, items: readonly string[] | undefined) => {
    if (items && items.length > 0) lines.push(`  ${title}:`, ...items.map((x) => `    ${x}`));
  };
  section('errors', i.errors);
  section(
    'not healthy',
    i.unhealthy.map((u) => `${u.object}: ${u.health}: ${u.message}`),
  );
  section('prune held', i.held);
  section('drift (suspended)', i.drift);
  section(
    'history',
    i.history.map(
      (h) =>
        `${h.startTime} ${h.revision.slice(0, 12)} ${h.result} in ${h.durationSeconds.toFixed(1)}s${h.message ? `: ${h.message}` : ''}`,
    ),
  );
  section(
    'events',
    (i.events ?? []).slice(-10).map((e) => `${e.time ?? ''} ${e.type} ${e.reason}: ${e.message}`.trim()),
  );
  if (i.ready === 'True') lines.push('  converged');
  return lines;
}

/** The status table; `wide` adds the reason, suspension, source, the full revision and the last handled request. */
export function statusTable(items: readonly AppStatusItem[], wide: boolean): string[] {
  const head = ['APP', 'ENV', 'REVISION', 'READY', 'MESSAGE', 'LAST SYNC', 'COMMIT-TO-CONVERGED'];
  const rows = [
    wide ? [...head.slice(0, 4), 'REASON', ...head.slice(4), 'SUSPENDED', 'SOURCE', 'LAST RECONCILE REQUEST'] : head,
  ];
  for (const i of items) {
    const revision = wide ? (i.lastAppliedRevision ?? '-') : (i.lastAppliedRevision?.slice(0, 12) ?? '-');
    const base = [i.app, i.env, revision, i.ready];
    const rest = [wide ? oneLine(i.message, 200) : i.message.slice(0, 80), ago(i.lastSyncTime ?? undefined), c2c(i)];
    rows.push(
      wide
        ? [...base, i.reason, ...rest, String(i.suspended), i.source ?? '-', i.lastHandledReconcileAt ?? '-']
        : [...base, ...rest],
    );
  }
  return table(rows);
}

/** `synthops status [app]`. Exit 0 when every listed app is ready, 1 otherwise. */
export async function runStatus(app: string | undefined, opts: StatusCommandOptions, io: Output): Promise<number> {
  const format = outputFormat(opts.output);
  const namespace = agentNamespaceOf(opts);
  const client = clusterClient(opts);
  try {
    const store = new StatusStore(client, namespace);
    const syncs = await selectAppSyncs(store, { app, env: opts.env });
    const items: AppStatusItem[] = [];
    for (const s of syncs) {
      const events = app
        ? (await store.events(s)).map((e) => eventItem(e, s)).sort((a, b) => (a.time ?? '').localeCompare(b.time ?? ''))
        : undefined;
      items.push(statusItem(s, events));
    }
    const allReady = items.every((i) => i.ready === 'True') ? 0 : 1;
    if (format === 'json' || format === 'yaml') {
      printDocument(io, format, document('AppStatusList', items, { namespace }));
      return allReady;
    }
    if (app) {
      for (const i of items) for (const l of explain(i)) io.out(l);
      return allReady;
    }
    if (items.length === 0) {
      io.out(`no apps in namespace ${namespace}`);
      return 0;
    }
    for (const l of statusTable(items, format === 'wide')) io.out(l);
    return allReady;
  } finally {
    client.close();
  }
}
