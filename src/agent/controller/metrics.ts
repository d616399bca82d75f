import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';

/** The agent's Prometheus metrics, on their own registry (one per agent instance). */
export class AgentMetrics {
  public readonly registry = new Registry();
  public readonly reconcileDuration = new Histogram({
    name: 'synthops_reconcile_duration_seconds',
    help: 'Duration of one app reconcile, by result.',
    labelNames: ['app', 'env', 'result', 'source'],
    buckets: [0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120],
    registers: [this.registry],
  });
  public readonly reconciles = new Counter({
    name: 'synthops_reconciles_total',
    help: 'App reconciles, by result (applied, failed, skipped, suspended).',
    labelNames: ['app', 'env', 'result', 'source'],
    registers: [this.registry],
  });
  public readonly objects = new Counter({
    name: 'synthops_objects_total',
    help: 'Objects handled by reconciles, by action (created, configured, unchanged, pruned, held).',
    labelNames: ['app', 'env', 'action', 'source'],
    registers: [this.registry],
  });
  public readonly driftRepairs = new Counter({
    name: 'synthops_drift_repairs_total',
    help: 'Managed objects restored to the Git state after someone else changed or deleted them.',
    labelNames: ['app', 'env', 'source'],
    registers: [this.registry],
  });
  public readonly appReady = new Gauge({
    name: 'synthops_app_ready',
    help: '1 when the app is applied, healthy and nothing is held; 0 otherwise.',
    labelNames: ['app', 'env', 'source'],
    registers: [this.registry],
  });
  public readonly lastAppliedRevision = new Gauge({
    name: 'synthops_last_applied_revision_info',
    help: 'The revision last applied to each app (value is always 1).',
    labelNames: ['app', 'env', 'revision', 'source'],
    registers: [this.registry],
  });
  public readonly commitToConverged = new Gauge({
    name: 'synthops_commit_to_converged_seconds',
    help: 'Seconds from the deploy commit to the app being healthy, for its last revision.',
    labelNames: ['app', 'env', 'source'],
    registers: [this.registry],
  });
  public readonly gitFetchDuration = new Histogram({
    name: 'synthops_git_fetch_duration_seconds',
    help: 'Duration of git fetches of the deploy branch.',
    buckets: [0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30],
    labelNames: ['source'],
    registers: [this.registry],
  });
  public readonly gitFetchErrors = new Counter({
    name: 'synthops_git_fetch_errors_total',
    help: 'Failed git fetches of the deploy branch.',
    labelNames: ['source'],
    registers: [this.registry],
  });

  public readonly sourceReady = new Gauge({
    name: 'synthops_source_ready',
    help: '1 when every app of the source is Ready at its last fetched revision; 0 otherwise.',
    labelNames: ['source'],
    registers: [this.registry],
  });

  constructor(defaults = true) {
    if (defaults) collectDefaultMetrics({ register: this.registry, prefix: 'synthops_' });
  }

  private readonly revisions = new Map<string, string>();

  /** Records the last applied revision of an app (of source `source`), dropping its previous series. */
  public setRevision(app: string, env: string, revision: string, source?: string): void {
    const key = `${source ?? ''}/${env}/${app}`;
    const labels = source === undefined ? { app, env } : { app, env, source };
    const previous = this.revisions.get(key);
    if (previous === revision) return;
    if (previous !== undefined) this.lastAppliedRevision.remove({ ...labels, revision: previous });
    this.revisions.set(key, revision);
    this.lastAppliedRevision.set({ ...labels, revision }, 1);
  }

  /** Drops the gauges of an app that left Git and was pruned: a gone app is neither ready nor not. */
  public forgetApp(app: string, env: string, source?: string): void {
    const key = `${source ?? ''}/${env}/${app}`;
    const labels = source === undefined ? { app, env } : { app, env, source };
    const revision = this.revisions.get(key);
    if (revision !== undefined) this.lastAppliedRevision.remove({ ...labels, revision });
    this.revisions.delete(key);
    this.appReady.remove(labels);
    this.commitToConverged.remove(labels);
  }
}
