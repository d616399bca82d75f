import { KubeClient } from '../kube/client';
import { AppSync, StatusStore } from '../agent/state/status-store';
import { UsageError } from '../model/errors';
import { Output } from './output';
import { byteOrder } from '../model/manifest';

/** Flags of `synthops status`. */
export interface StatusCommandOptions {
  /** `--kubeconfig`: kubeconfig file. @default - KUBECONFIG, else ~/.kube/config, else in-cluster */
  readonly kubeconfig?: string;
  readonly agentNamespace: string;
  /** `--env`: only this environment. @default - every environment */
  readonly env?: string;
}

function ago(iso: string | undefined): string {
  if (!iso) return '-';
  const s = Math.max(0, Math.round((Date.now() - Date.parse(iso)) / 1000));
  return s < 120 ? `${s}s ago` : s < 7200 ? `${Math.round(s / 60)}m ago` : `${Math.round(s / 3600)}h ago`;
}

function table(rows: string[][]): string[] {
  const widths = rows[0].map((_, i) => Math.max(...rows.map((r) => r[i].length)) + 2);
  return rows.map((r) => r.map((c, i) => c.padEnd(widths[i])).join('').trimEnd());
}

function ready(s: AppSync) {
  return s.status?.conditions?.find((c) => c.type === 'Ready');
}

/** Explains one app: conditions, failed and unhealthy objects, held prunes, drift, history, recent Events. */
function explain(s: AppSync, events: Array<{ type: string; reason: string; message: string; lastTimestamp?: string }>): string[] {
  const st = s.status ?? {};
  const r = ready(s);
  const lines = [
    `app ${s.spec.app} (env ${s.spec.env})${s.spec.suspend ? ' SUSPENDED' : ''}`,
    `  ready: ${r?.status ?? 'Unknown'} (${r?.reason ?? 'never reconciled'}) ${r?.message ?? ''}`.trimEnd(),
    `  last applied revision: ${st.lastAppliedRevision ?? '-'}; last attempted: ${st.lastAttemptedRevision ?? '-'}; last sync ${ago(st.lastSyncTime)}`,
  ];
  if (st.commitToConvergedSeconds !== undefined) lines.push(`  commit to converged: ${st.commitToConvergedSeconds.toFixed(1)}s`);
  const section = (title: string, items: readonly string[] | undefined) => {
    if (items && items.length > 0) lines.push(`  ${title}:`, ...items.map((i) => `    ${i}`));
  };
  section('errors', st.errors);
  section('not healthy', st.unhealthy?.map((u) => `${u.object}: ${u.health}: ${u.message}`));
  section('prune held', st.held);
  section('drift (suspended)', st.drift);
  section('history', st.history?.map((h) => `${h.startTime} ${h.revision.slice(0, 12)} ${h.result} in ${h.durationSeconds.toFixed(1)}s${h.message ? `: ${h.message}` : ''}`));
  section('events', events.slice(-10).map((e) => `${e.lastTimestamp ?? ''} ${e.type} ${e.reason}: ${e.message}`.trim()));
  if (r?.status === 'True') lines.push('  converged');
  return lines;
}

/** `synthops status [app]`. Exit 0 when every listed app is ready, 1 otherwise. */
export async function runStatus(app: string | undefined, opts: StatusCommandOptions, io: Output): Promise<number> {
  const client = KubeClient.fromKubeconfig(opts.kubeconfig);
  try {
    const store = new StatusStore(client, opts.agentNamespace);
    const syncs = (await store.list()).filter((s) => !opts.env || s.spec.env === opts.env).sort((a, b) => byteOrder(a.metadata.name, b.metadata.name));
    if (app) {
      const matches = syncs.filter((s) => s.spec.app === app);
      if (matches.length === 0) throw new UsageError(`no app "${app}" in namespace ${opts.agentNamespace} (known: ${syncs.map((s) => s.spec.app).join(', ') || 'none'})`);
      for (const s of matches) for (const l of explain(s, await store.events(s))) io.out(l);
      return matches.every((s) => ready(s)?.status === 'True') ? 0 : 1;
    }
    if (syncs.length === 0) {
      io.out(`no apps in namespace ${opts.agentNamespace}`);
      return 0;
    }
    const rows = [['APP', 'ENV', 'REVISION', 'READY', 'MESSAGE', 'LAST SYNC', 'COMMIT-TO-CONVERGED']];
    for (const s of syncs) {
      const r = ready(s);
      rows.push([s.spec.app, s.spec.env, s.status?.lastAppliedRevisionShort ?? '-', r?.status ?? 'Unknown', (r?.message ?? '').slice(0, 80), ago(s.status?.lastSyncTime),
        s.status?.commitToConvergedSeconds !== undefined ? `${s.status.commitToConvergedSeconds.toFixed(1)}s` : '-']);
    }
    for (const l of table(rows)) io.out(l);
    return syncs.every((s) => ready(s)?.status === 'True') ? 0 : 1;
  } finally {
    client.close();
  }
}
