import { AppSyncStatus, Condition, HistoryEntry } from '../../model/appsync';
import { ObjectRef } from '../../model/manifest';
import { AppResult } from '../apply/change-set';

const HISTORY = 5;

/** A condition that keeps its lastTransitionTime when its status did not change. */
export function condition(
  previous: readonly Condition[] | undefined,
  type: Condition['type'],
  status: Condition['status'],
  reason: string,
  message: string,
  now: string,
): Condition {
  const old = previous?.find((c) => c.type === type);
  return {
    type,
    status,
    reason,
    message,
    lastTransitionTime: old && old.status === status ? old.lastTransitionTime : now,
  };
}

/**
 * Appends to the history, keeping the last five. A reconcile with the same revision
 * and result as the last entry replaces it, so periodic no-op reconciles do not push
 * the meaningful entries out.
 */
export function pushHistory(previous: readonly HistoryEntry[] | undefined, entry: HistoryEntry): HistoryEntry[] {
  const list = [...(previous ?? [])];
  const last = list[list.length - 1];
  if (last && last.revision === entry.revision && last.result === entry.result) {
    list.pop();
    // A repeat that changed nothing keeps what the first run of this revision changed.
    const changed = (o: HistoryEntry['objects']) => o !== undefined && o.created + o.configured + o.pruned > 0;
    if (!changed(entry.objects) && changed(last.objects)) entry = { ...entry, objects: last.objects };
  }
  return [...list, entry].slice(-HISTORY);
}

/**
 * The one definition of "last applied": the last revision of which every object of
 * the app was written or found unchanged (health aside). The AppSync and the
 * `synthops_last_applied_revision_info` metric both use it; the inventory records
 * instead the revision that last changed its object list.
 */
export function lastAppliedRevision(
  app: Pick<AppResult, 'status'>,
  revision: string,
  previous: string | undefined,
): string | undefined {
  return app.status === 'Applied' ? revision : previous;
}

/** A Kubernetes Event to record on the AppSync. */
export interface AppSyncEvent {
  readonly type: 'Normal' | 'Warning';
  readonly reason: string;
  readonly message: string;
}

/** A notification for `--notify-url`. */
export interface AppSyncAlert {
  readonly kind: 'ReconcileFailed' | 'PruneHeld' | 'HealthDegraded' | 'DriftRepaired';
  readonly message: string;
}

/** What one reconcile of an app means for its AppSync. */
export interface AppSyncInput {
  /** The AppSync's status before this reconcile. @default - none (a new AppSync) */
  readonly previous?: AppSyncStatus;
  readonly app: AppResult;
  readonly revision: { readonly sha: string; readonly committedAt: Date };
  readonly now: Date;
  /** Writes are suspended for the app: what would change is drift to report. */
  readonly suspended: boolean;
  /** Changes by others seen since the last reconcile (`Kind ns/name change`). @default - none */
  readonly drift?: readonly string[];
  /** The app's objects as its inventory records them. @default - the previous status's inventory */
  readonly inventory?: readonly ObjectRef[];
  /** The last rewrite of the deploy branch the agent saw. @default - the previous status's */
  readonly historyRewrite?: AppSyncStatus['historyRewrite'];
}

/** The AppSync's next status and what to tell about it. */
export interface AppSyncUpdate {
  readonly status: AppSyncStatus;
  readonly ready: { readonly status: Condition['status']; readonly reason: string; readonly message: string };
  /** Objects were rewritten after drift by others. */
  readonly repaired: boolean;
  /** The outcome label of metrics and history (`applied`, `failed`, `suspended`, ...). */
  readonly result: string;
  /** Set when this reconcile converged a new revision. @default - none (no new revision converged) */
  readonly commitToConvergedSeconds?: number;
  readonly events: readonly AppSyncEvent[];
  readonly alerts: readonly AppSyncAlert[];
}

/** The Ready reason of a failed app: its first problem's kind, where a more telling reason exists. */
function failureReason(app: AppResult): string {
  switch (app.problems[0]?.kind) {
    case 'read-forbidden':
      return 'ReadForbidden';
    case 'needs-bootstrap':
      return 'NeedsBootstrap';
    case 'service-account-not-allowed':
    case 'reserved-namespace':
      return 'NotAllowed';
    default:
      return 'ReconcileFailed';
  }
}

function readyOf(app: AppResult, suspended: boolean, rev: string, writes: readonly string[]): AppSyncUpdate['ready'] {
  if (suspended)
    return {
      status: 'Unknown',
      reason: 'Suspended',
      message: writes.length > 0 ? `suspended; drift from Git: ${writes.join(', ')}` : 'suspended; no drift',
    };
  switch (app.outcome) {
    case 'Converged':
    case 'Planned':
      return { status: 'True', reason: 'ReconciliationSucceeded', message: `applied revision ${rev.slice(0, 12)}` };
    case 'Skipped':
      return { status: 'False', reason: 'DependencyNotReady', message: app.why };
    case 'Failed':
      return { status: 'False', reason: failureReason(app), message: app.why };
    case 'PruneHeld':
      return { status: 'False', reason: 'PruneHeld', message: app.why };
    case 'Unhealthy':
      return {
        status: 'False',
        reason: app.health === 'Degraded' ? 'HealthCheckFailed' : 'Progressing',
        message: app.why,
      };
  }
}

/** Ready, Reconciling and Stalled, each keeping its transition time while unchanged. */
function conditions(
  previous: readonly Condition[] | undefined,
  ready: AppSyncUpdate['ready'],
  reconciling: boolean,
  stalled: boolean,
  now: string,
): Condition[] {
  return [
    condition(previous, 'Ready', ready.status, ready.reason, ready.message, now),
    condition(previous, 'Reconciling', reconciling ? 'True' : 'False', ready.reason, ready.message, now),
    condition(previous, 'Stalled', stalled ? 'True' : 'False', ready.reason, stalled ? ready.message : '', now),
  ];
}

/** A later look at the health of an app that its last reconcile applied. */
export interface HealthInput {
  /** The AppSync's status as the last write left it. @default - none (a new AppSync) */
  readonly previous?: AppSyncStatus;
  /** The last reconcile's result, with the new health (see withHealth). */
  readonly app: AppResult;
  readonly revision: { readonly sha: string; readonly committedAt: Date };
  readonly now: Date;
}

/**
 * The AppSync status when only the health of an applied app changed (the
 * long-running agent follows health after the reconcile returned): conditions,
 * unhealthy objects and commit-to-converged move; history, inventory and drift stay,
 * and nothing was written, so there is no Applied Event.
 */
export function healthAppSyncStatus(i: HealthInput): AppSyncUpdate {
  const { app, previous: st = {} } = i;
  const sha = i.revision.sha;
  const now = i.now.toISOString();
  const converged = app.converged && app.status === 'Applied';
  const ready = readyOf(app, false, sha, []);
  const oldReason = st.conditions?.find((c) => c.type === 'Ready')?.reason;
  const wasConverged = oldReason === 'ReconciliationSucceeded' && st.lastAttemptedRevision === sha;
  const newC2C =
    converged && !wasConverged ? Math.max(0, (i.now.getTime() - i.revision.committedAt.getTime()) / 1000) : undefined;
  const status: AppSyncStatus = {
    ...st,
    conditions: conditions(
      st.conditions,
      ready,
      !converged && !app.stalled && app.status !== 'Failed',
      app.stalled,
      now,
    ),
    unhealthy: app.unhealthy,
    commitToConvergedSeconds: newC2C ?? st.commitToConvergedSeconds,
  };
  const events: AppSyncEvent[] = [];
  const alerts: AppSyncAlert[] = [];
  if (app.health === 'Degraded' && oldReason !== 'HealthCheckFailed') {
    events.push({ type: 'Warning', reason: 'HealthCheckFailed', message: app.why });
    alerts.push({ kind: 'HealthDegraded', message: app.why });
  }
  return {
    status,
    ready,
    repaired: false,
    result: converged ? 'applied' : app.status.toLowerCase(),
    commitToConvergedSeconds: newC2C,
    events,
    alerts,
  };
}

/**
 * The AppSync status after one reconcile of an app, with the Events and alerts it
 * calls for. Pure: the controller writes, records and sends what this returns.
 */
export function nextAppSyncStatus(i: AppSyncInput): AppSyncUpdate {
  const { app, previous: st = {}, suspended } = i;
  const sha = i.revision.sha;
  const now = i.now.toISOString();
  const writes = [...app.created, ...app.configured];
  const converged = app.converged && app.status === 'Applied' && !suspended;
  const repaired = !suspended && (i.drift?.length ?? 0) > 0 && writes.length > 0 && app.status === 'Applied';
  const ready = readyOf(app, suspended, sha, [...writes, ...app.pruned]);
  const stalled = app.stalled;
  const result = suspended ? 'suspended' : converged ? 'applied' : app.status.toLowerCase();
  let commitToConverged = st.commitToConvergedSeconds;
  let newC2C: number | undefined;
  if (converged && (st.lastAppliedRevision !== sha || commitToConverged === undefined)) {
    newC2C = Math.max(0, (i.now.getTime() - i.revision.committedAt.getTime()) / 1000);
    commitToConverged = newC2C;
  }
  const lastApplied = lastAppliedRevision(app, sha, st.lastAppliedRevision);
  const status: AppSyncStatus = {
    lastAppliedRevision: lastApplied,
    lastAppliedRevisionShort: lastApplied?.slice(0, 12) || undefined,
    lastAttemptedRevision: sha,
    lastSyncTime: now,
    conditions: conditions(
      st.conditions,
      ready,
      !converged && !stalled && app.status !== 'Failed' && !suspended,
      stalled,
      now,
    ),
    inventory: i.inventory ?? st.inventory ?? [],
    unhealthy: app.unhealthy,
    errors: app.errors,
    held: app.held,
    drift: suspended ? [...writes, ...app.pruned] : [],
    history: pushHistory(st.history, {
      revision: sha,
      startTime: new Date(i.now.getTime() - app.durationMs).toISOString(),
      durationSeconds: app.durationMs / 1000,
      result,
      message: app.why || ready.message,
      objects: { created: app.created.length, configured: app.configured.length, pruned: app.pruned.length },
    }),
    commitToConvergedSeconds: commitToConverged,
    driftRepairs: (st.driftRepairs ?? 0) + (repaired ? 1 : 0),
    historyRewrite: i.historyRewrite ?? st.historyRewrite,
  };

  const oldReason = st.conditions?.find((c) => c.type === 'Ready')?.reason;
  const events: AppSyncEvent[] = [];
  const alerts: AppSyncAlert[] = [];
  if (repaired) {
    const message = `restored ${writes.join(', ')} to revision ${sha.slice(0, 12)} after: ${i.drift!.join(', ')}`;
    events.push({ type: 'Normal', reason: 'DriftRepaired', message });
    alerts.push({ kind: 'DriftRepaired', message });
  }
  if (!suspended) {
    if (writes.length > 0 && !repaired)
      events.push({
        type: 'Normal',
        reason: 'Applied',
        message: `revision ${sha.slice(0, 12)}: created ${app.created.length}, configured ${app.configured.length}`,
      });
    if (app.pruned.length > 0)
      events.push({ type: 'Normal', reason: 'Pruned', message: `pruned ${app.pruned.join(', ')}` });
    if (app.held.length > 0 && oldReason !== 'PruneHeld')
      events.push({ type: 'Warning', reason: 'PruneHeld', message: app.held.join('; ') });
    if (app.status === 'Failed' && (oldReason !== ready.reason || st.lastAttemptedRevision !== sha))
      events.push({ type: 'Warning', reason: ready.reason, message: app.why });
    if (app.health === 'Degraded' && oldReason !== 'HealthCheckFailed')
      events.push({ type: 'Warning', reason: 'HealthCheckFailed', message: app.why });
    if (app.status === 'Failed') alerts.push({ kind: 'ReconcileFailed', message: app.why });
    if (app.held.length > 0) alerts.push({ kind: 'PruneHeld', message: app.why });
    if (app.health === 'Degraded') alerts.push({ kind: 'HealthDegraded', message: app.why });
  }
  return { status, ready, repaired, result, commitToConvergedSeconds: newC2C, events, alerts };
}
