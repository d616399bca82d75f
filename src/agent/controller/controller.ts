import { createHash } from 'crypto';
import { describeObject, identityKey, refOf } from '../../model/manifest';
import { Discovery } from '../../kube/discovery';
import { LoadError } from '../source/errors';
import { Inventory, InventoryStore } from '../state/inventory';
import { KubeClient } from '../../kube/client';
import { LeaderElector } from './leader';
import { DesiredApp } from '../source/load';
import { LoadedRevision } from '../source/revision';
import { ReadOptions, SourceSpec, loadFetched } from '../reconcile/step';
import { ParseCache } from '../source/parse-cache';
import { Logger, redactInLogs } from './log';
import { AgentMetrics } from './metrics';
import { Notifier } from './notify';
import { AppResult, ReconcileOptions, ReconcileResult, reconcile } from '../reconcile/reconcile';
import { Revision, fetchRevision, isAncestor, redactUrl } from '../source/fetch';
import { AppSync, AppSyncStatus, StatusStore, appSyncName, ownerOf } from '../state/status-store';
import { AppSyncUpdate, condition, healthAppSyncStatus, nextAppSyncStatus } from '../reconcile/appsync-status';
import { allowedByTrailers } from '../source/revision';
import { withHealth } from '../apply/change-set';
import { ObjectHealth, summarize } from '../apply/health';
import { HealthMonitor } from './health-monitor';
import { DriftEvent, DriftWatcher, WatchTarget, fingerprint } from './watch';
import { notNewer } from './drift-judge';
import { LiveState } from '../../kube/live';
import { ObjectClient } from '../../kube/objects';
import { SUSPEND_ANNOTATION, TRAILERS } from '../../model/keys';
import { AppSyncWatcher } from './appsync-watch';
import { ReconcileRequests } from './requests';
import { stampAgentVersion } from './agent-version';
import { sourceIdentity } from '../../model/source';

/** Everything the long-running agent needs. */
export interface ControllerOptions {
  readonly client: KubeClient;
  readonly source: SourceSpec;
  /** The source's name (`--source`): it lists and writes only AppSyncs and inventories of this name. @default - derived from url, branch and path */
  readonly sourceName?: string;
  /** How each revision is read (layout, app name, render settings). */
  readonly load: Omit<ReadOptions, 'cache'>;
  /** Apply settings passed to each reconcile. */
  readonly apply: Omit<ReconcileOptions, 'client' | 'loaded' | 'onlyApps' | 'suspended' | 'inventoryNamespace'>;
  /** Namespace for AppSyncs, inventories, Events and the Lease. */
  readonly namespace: string;
  /** Poll interval of the branch. @default 60000 */
  readonly intervalMs: number;
  /** Apps suspended by flag (the AppSync's spec.suspend also works). @default - none */
  readonly suspend?: ReadonlySet<string>;
  /** First retry delay of a failed app, doubled per failure up to `retryMaxMs`. @default 5000 */
  readonly retryBaseMs?: number;
  /** @default 300000 */
  readonly retryMaxMs?: number;
  /** Coalescing delay for drift events. @default 300 */
  readonly driftDebounceMs?: number;
  readonly metrics: AgentMetrics;
  readonly log: Logger;
  readonly notifier: Notifier;
  /** Present when several replicas run: only the leader reconciles. @default - none: this replica always reconciles */
  readonly leader?: LeaderElector;
  /** How often to repeat in the log what a health wait still waits for. @default 30000 */
  readonly healthLogEveryMs?: number;
  /**
   * Whether this controller starts and releases `leader` itself; false when a
   * supervisor shares one elector among the controllers of several sources.
   * @default true
   */
  readonly leaderOwned?: boolean;
  /**
   * Asked before each reconcile of a loaded revision: not ready holds the reconcile
   * (sources that depend on others). Ask again with `request('dependency', true)`.
   * @default - always ready
   */
  readonly gate?: () => GateAnswer;
}

/** Whether a source may reconcile now. */
export type GateAnswer = { readonly ready: true } | { readonly ready: false; readonly message: string };

/** Where a controller's source stands, for the supervisor's GitSource status. */
export interface SourceState {
  /** The source's name. */
  readonly name: string;
  /** The revision last fetched. @default - none (never fetched) */
  readonly revision?: string;
  /** Environment of the loaded revision. @default - none (not loaded) */
  readonly env?: string;
  /** Apps of the loaded revision. @default - none (not loaded) */
  readonly apps?: readonly string[];
  /** The last fetch failed with this. @default - none */
  readonly sourceError?: string;
  /** The fetched revision was rejected with this. @default - none */
  readonly buildError?: string;
  /** The reconcile waits: {@link ControllerOptions.gate} said this. @default - none */
  readonly blocked?: string;
}

interface Pending {
  full: boolean;
  apps: Set<string>;
  reasons: Set<string>;
  drift: Map<string, string[]>;
}

const HISTORY_DEPTH = 50;
/** Resolves when `p` settles or at `deadline`, whichever comes first; the timer is cleared either way. */
async function until(p: Promise<unknown> | undefined, deadline: number): Promise<void> {
  if (!p) return;
  let timer: NodeJS.Timeout | undefined;
  await Promise.race([
    p.catch(() => undefined),
    new Promise((r) => {
      timer = setTimeout(r, Math.max(0, deadline - Date.now()));
    }),
  ]);
  clearTimeout(timer);
}

/** The resourceVersion the API server gave an AppSync. */
function resourceVersionOf(sync: AppSync | undefined): string | undefined {
  return (sync?.metadata as { resourceVersion?: string } | undefined)?.resourceVersion;
}

/** The source commit and repo a deploy commit's trailers name (commit statuses go there). */
function sourceOf(rev: Revision): { sourceCommit?: string; sourceRepo?: string; deployRepo: string } {
  return {
    sourceCommit: rev.trailers[TRAILERS.sourceCommit]?.[0],
    sourceRepo: rev.trailers[TRAILERS.sourceRepo]?.[0],
    deployRepo: rev.source.url,
  };
}

/** Triggers that reconcile every app even when a new revision changed only some. */
const FULL_REASONS = new Set(['startup', 'interval', 'leader', 'retry', 'source-retry']);

/** What an app asks for in a revision, as one hash: equal hashes mean nothing to apply. */
function digest(app: DesiredApp): string {
  return createHash('sha256')
    .update(JSON.stringify([app.objects.map((o) => o.manifest), app.dependsOn, app.serviceAccount ?? '']))
    .digest('hex');
}

/**
 * The long-running agent: polls the branch every interval (with jitter), reacts at
 * once to webhooks and to drift reported by watches, retries failed apps with
 * capped exponential backoff, and writes status, Events, metrics and notifications.
 * Reconciles never overlap; requests that arrive meanwhile are coalesced. A reconcile
 * never waits for health: it applies and returns, and a {@link HealthMonitor} follows
 * the applied apps until they are healthy, so a slow (or never ending) rollout does
 * not hold up the next revision, webhook or drift repair. With leader election,
 * nothing is written by a replica that does not hold the lease.
 */
export class Controller {
  private pending: Pending = { full: true, apps: new Set(), reasons: new Set(['startup']), drift: new Map() };
  private running?: Promise<void>;
  private timer?: NodeJS.Timeout;
  private retryTimers = new Map<string, NodeJS.Timeout>();
  private debounce?: NodeJS.Timeout;
  private failures = new Map<string, number>();
  private stopped = false;
  private revision?: Revision;
  private loaded?: LoadedRevision;
  /** Parsed files of the last revision: a new commit parses only the files it changed. */
  private readonly parsed = new ParseCache();
  private sourceError?: string;
  /** Why the last fetched revision was rejected. */
  private buildError?: string;
  /** Why the gate holds the reconcile. */
  private blocked?: string;
  private historyRewrite?: { from: string; to: string; time: string };
  /** Per app, the hash of what it asked for in the last reconciled revision. */
  private digests = new Map<string, string>();
  private readonly status: StatusStore;
  private readonly watcher: DriftWatcher;
  private readonly objects: ObjectClient;
  private readonly appSyncs: AppSyncWatcher;
  /** Reconcile requests made on AppSyncs (`synthops reconcile`). */
  private readonly requests: ReconcileRequests;
  /** This agent's source: it lists and writes only AppSyncs and inventories of this name. */
  private readonly sourceName: string;
  private readonly health: HealthMonitor;
  /** Fired to stop the running cycle between writes (shutdown, lost leadership). */
  private cycleAbort?: AbortController;
  /** The agent's namespace and the AppSync CRD were checked since this replica last became the writer. */
  private installed = false;
  /** Per app, its last reconcile's result and revision: what a health change is recorded against. */
  private readonly lastResults = new Map<string, { result: AppResult; rev: Revision; sync?: AppSync }>();
  /** Per app, the AppSync status this replica last wrote, and to which AppSync (by uid: a re-created one starts afresh). */
  private readonly statuses = new Map<string, { uid?: string; status: AppSyncStatus }>();
  /** Apps last reconciled as suspended through their AppSync: lifting it reconciles them at once. */
  private readonly suspendedBySync = new Set<string>();
  /** Whether each app's AppSync asked for a suspend when the AppSync watch last saw it, and at which resourceVersion. */
  private readonly seenSuspended = new Map<string, { suspended: boolean; resourceVersion?: string }>();
  /** Resolves each time a reconcile cycle ends (tests and shutdown wait on it). */
  public cycles = 0;

  constructor(private readonly o: ControllerOptions) {
    this.status = new StatusStore(o.client, o.namespace);
    this.sourceName = sourceIdentity(
      { url: redactUrl(o.source.url), branch: o.source.branch, path: o.load.path },
      o.sourceName,
    ).name;
    const discovery = new Discovery(o.client);
    this.objects = new ObjectClient(o.client, discovery);
    this.watcher = new DriftWatcher(o.client, discovery, o.log, (e) => this.onDrift(e));
    this.requests = new ReconcileRequests(
      o.client,
      o.namespace,
      o.log,
      () => this.loaded?.env,
      (app) => this.request('requested', false, [app]),
    );
    this.health = new HealthMonitor({
      pollMs: o.apply.wait?.pollMs ?? 1000,
      timeoutMs: o.apply.wait?.timeoutMs ?? 120_000,
      logEveryMs: o.healthLogEveryMs,
      log: o.log,
      onChange: (app, health) => this.onHealth(app, health),
    });
    this.appSyncs = new AppSyncWatcher(o.client, o.namespace, o.log, (s) => this.onAppSync(s));
  }

  /**
   * Starts polling (and campaigning, with leader election). Writes nothing: the
   * namespace and the status CRD are installed by the first cycle of the writer.
   */
  public async start(): Promise<void> {
    this.scheduleInterval();
    if (this.o.leader && this.o.leaderOwned !== false) this.o.leader.start();
    else this.kick();
  }

  /** Where the source stands (read by the supervisor for status and dependencies). */
  public state(): SourceState {
    return {
      name: this.sourceName,
      revision: this.revision?.sha,
      env: this.loaded?.env,
      apps: this.loaded?.apps.map((a) => a.name),
      sourceError: this.sourceError,
      buildError: this.buildError,
      blocked: this.blocked,
    };
  }

  /** Called by the leader elector. */
  public onLeadership(leading: boolean): void {
    if (leading) {
      this.request('leader', true);
      return;
    }
    // Another replica may write now: stop writing at the next step, and stop following.
    this.cycleAbort?.abort();
    this.installed = false;
    this.watcher.setTargets([]);
    this.appSyncs.stop();
    void this.health.forget('all');
    // The next leader writes statuses too: do not build on what this one wrote last.
    this.statuses.clear();
  }

  private isLeader(): boolean {
    return !this.o.leader || this.o.leader.isLeader();
  }

  /** Asks for a reconcile: of everything (`full`), or of some apps. */
  public request(reason: string, full: boolean, apps: Iterable<string> = []): void {
    this.pending.reasons.add(reason);
    if (full) this.pending.full = true;
    for (const a of apps) this.pending.apps.add(a);
    this.kick();
  }

  /**
   * Readiness: whether this replica can serve its role. The writer: a source fetched
   * and an apiserver that answers. A standby: an apiserver that answers and a lease it
   * can read, so it can take over (it fetches nothing until then).
   */
  public async ready(): Promise<{ ok: boolean; reason: string }> {
    const standby = !this.isLeader();
    if (standby && this.o.leader?.lastError) return { ok: false, reason: `standby: lease: ${this.o.leader.lastError}` };
    if (!standby && !this.revision) return { ok: false, reason: this.sourceError ?? 'no revision fetched yet' };
    try {
      await this.o.client.request('GET', '/version');
    } catch (e) {
      return { ok: false, reason: `apiserver: ${(e as Error).message}` };
    }
    if (standby)
      return {
        ok: true,
        reason: `standby${this.o.leader?.holder ? `: the lease is held by ${this.o.leader.holder}` : ''}`,
      };
    return { ok: true, reason: `revision ${this.revision!.sha.slice(0, 12)}` };
  }

  private scheduleInterval(): void {
    if (this.stopped) return;
    const jitter = this.o.intervalMs * 0.1 * (Math.random() * 2 - 1);
    this.timer = setTimeout(
      () => {
        this.request('interval', true);
        this.scheduleInterval();
      },
      Math.max(1000, this.o.intervalMs + jitter),
    );
  }

  private kick(): void {
    if (this.running || this.stopped || !this.isLeader()) return;
    const p = this.pending;
    if (!p.full && p.apps.size === 0) return;
    this.pending = { full: false, apps: new Set(), reasons: new Set(), drift: new Map() };
    const abort = new AbortController();
    this.cycleAbort = abort;
    this.running = this.cycle(p, abort.signal)
      .then(
        () => {
          this.failures.delete('__cycle__');
        },
        (e: Error) => {
          if (abort.signal.aborted) return; // stopped or lost the lease: nothing to retry here
          // Typically the apiserver is unreachable: try the whole cycle again with backoff.
          this.o.log.error({ err: e.message }, 'reconcile cycle failed; retrying');
          this.retryLater('__cycle__', () => this.request('retry', true));
        },
      )
      .finally(() => {
        this.running = undefined;
        this.cycles++;
        this.kick();
      });
  }

  private onDrift(e: DriftEvent): void {
    this.o.log.info({ app: e.app, object: e.object, change: e.change }, 'drift detected');
    const list = this.pending.drift.get(e.app) ?? [];
    if (!list.includes(`${e.object} ${e.change}`)) list.push(`${e.object} ${e.change}`);
    this.pending.drift.set(e.app, list);
    this.pending.apps.add(e.app);
    this.pending.reasons.add('drift');
    if (this.debounce) clearTimeout(this.debounce);
    this.debounce = setTimeout(() => this.kick(), this.o.driftDebounceMs ?? 300);
  }

  private async fetch(): Promise<Revision | undefined> {
    const started = Date.now();
    try {
      const rev = await fetchRevision({ ...this.o.source, path: this.o.load.path, depth: HISTORY_DEPTH });
      this.o.metrics.gitFetchDuration.observe({ source: this.sourceName }, (Date.now() - started) / 1000);
      this.o.log.info({ step: 'fetch', revision: rev.sha, durationMs: Date.now() - started }, 'fetched');
      this.sourceError = undefined;
      return rev;
    } catch (e) {
      this.o.metrics.gitFetchErrors.inc({ source: this.sourceName });
      const message = (e as Error).message;
      this.o.log.error(
        { step: 'fetch', err: message, durationMs: Date.now() - started },
        'fetch failed; keeping the last applied revision',
      );
      if (this.sourceError !== message) this.o.notifier.send({ kind: 'SourceFailed', message });
      this.sourceError = message;
      await this.markAll('SourceFailed', message, true);
      this.retryLater('__source__', () => this.request('source-retry', true));
      return undefined;
    }
  }

  private async cycle(p: Pending, signal: AbortSignal): Promise<void> {
    const requested = this.requests.snapshot();
    if (!this.installed) {
      // Only the writer installs: a standby writes nothing, not even the CRD.
      await new InventoryStore(this.o.client, this.o.namespace).ensureNamespace();
      await this.status.ensureCrd();
      this.installed = true;
      this.appSyncs.start();
    }
    const rev = await this.fetch();
    if (!rev || signal.aborted) return;
    this.failures.delete('__source__');
    const previous = this.revision;
    const changed = !previous || previous.sha !== rev.sha;
    if (changed) {
      await this.checkHistory(previous, rev);
      try {
        this.loaded = loadFetched(rev, { ...this.o.load, cache: this.parsed });
        redactInLogs(
          this.o.log,
          this.loaded.apps.flatMap((a) => a.objects.map((o) => o.manifest)),
        );
      } catch (e) {
        if (!(e instanceof LoadError)) throw e;
        this.o.log.error({ step: 'load', revision: rev.sha, err: e.message }, 'revision rejected');
        this.o.notifier.send({ kind: 'ReconcileFailed', revision: rev.sha, ...sourceOf(rev), message: e.message });
        await this.markAll('BuildFailed', e.message, true, rev.sha);
        this.revision = rev; // do not retry the same broken commit until the branch moves
        this.loaded = undefined;
        this.buildError = e.message;
        return;
      }
      this.buildError = undefined;
      this.o.log.info(
        {
          step: 'load',
          revision: rev.sha,
          layout: this.loaded.layout,
          renderedBy: this.loaded.renderedBy,
          apps: this.loaded.apps.length,
        },
        'revision loaded',
      );
      if (this.loaded.warnings?.length)
        this.o.log.warn(
          { step: 'load', revision: rev.sha, warnings: this.loaded.warnings },
          'revision loaded with warnings',
        );
      this.revision = rev;
    }
    if (!this.loaded) return;
    const gate = this.o.gate?.() ?? { ready: true };
    if (!gate.ready) {
      if (this.blocked !== gate.message)
        this.o.log.info({ step: 'dependency', revision: rev.sha, why: gate.message }, 'reconcile waits');
      this.blocked = gate.message;
      // Asked again when a dependency becomes ready; a full reconcile then.
      this.digests = new Map();
      return;
    }
    this.blocked = undefined;
    // A new commit usually changes a few apps: reconcile those at once and leave the rest
    // (whose objects are byte-for-byte the same) to the next full reconcile. Keeps the
    // webhook's commit-to-converged time independent of the size of the branch.
    const digests = new Map(this.loaded.apps.map((a) => [a.name, digest(a)]));
    const removed = [...this.digests.keys()].some((a) => !digests.has(a));
    // An `Allow-Prune:` commit changes what may be pruned, not the objects: the apps it
    // names are reconciled at once (all of them for `*` or an app no longer in Git).
    const allowed = changed ? allowedByTrailers(rev) : [];
    const allowsOther = allowed.some((a) => !digests.has(a));
    const incremental =
      changed && this.digests.size > 0 && !removed && !allowsOther && ![...p.reasons].some((r) => FULL_REASONS.has(r));
    if (incremental) {
      for (const [a, d] of digests) if (this.digests.get(a) !== d || allowed.includes(a)) p.apps.add(a);
      if (p.apps.size === 0) {
        this.o.log.info({ step: 'reconcile', revision: rev.sha }, 'the new revision changes no app');
        return;
      }
    }
    this.digests = digests;
    const full = !incremental && (p.full || changed);
    const selected = full ? 'all' : p.apps;
    // A look at the old state must not land after this reconcile's status: stop following first.
    await this.health.forget(selected);
    // Ours, and those without a source of apps we claim (adopted below); another
    // source's AppSync of an app we claim is a conflict, reported without a write.
    const env = this.loaded.env;
    const claimedApps = new Set(this.loaded.apps.map((a) => a.name));
    const syncs = new Map<string, AppSync>();
    const elsewhere = new Map<string, string>();
    for (const s of await this.status.list()) {
      const owner = ownerOf(s);
      if (owner === this.sourceName || (owner === undefined && s.spec.env === env && claimedApps.has(s.spec.app)))
        syncs.set(s.metadata.name, s);
      else if (owner !== undefined && s.spec.env === env && claimedApps.has(s.spec.app))
        elsewhere.set(s.spec.app, owner);
    }
    const suspended = new Set([...(this.o.suspend ?? [])]);
    for (const a of this.loaded.apps) {
      const sync = syncs.get(appSyncName(env, a.name));
      if (sync?.spec.suspend || sync?.metadata.annotations?.[SUSPEND_ANNOTATION] === 'true') suspended.add(a.name);
    }

    const started = Date.now();
    this.o.log.info(
      { step: 'reconcile', revision: rev.sha, reasons: [...p.reasons], apps: full ? 'all' : [...p.apps] },
      'reconcile started',
    );
    // A new commit: its apps' commit statuses say pending until their results are in.
    if (changed)
      for (const a of this.loaded.apps)
        if ((full || p.apps.has(a.name)) && !suspended.has(a.name))
          this.o.notifier.sync({
            app: a.name,
            env,
            revision: rev.sha,
            ...sourceOf(rev),
            reason: 'Progressing',
            message: `applying revision ${rev.sha.slice(0, 12)}`,
          });
    this.watcher.hold(selected);
    const result = await reconcile({
      ...this.o.apply,
      client: this.o.client,
      loaded: this.loaded,
      inventoryNamespace: this.o.namespace,
      source: this.sourceName,
      claimedElsewhere: elsewhere,
      onlyApps: full ? undefined : p.apps,
      suspended,
      // Health is followed after the reconcile (this.health), never awaited in it.
      health: 'once',
      signal,
      // Our own writes and deletes are not drift: their events are held until their answers are in.
      onWritten: (app, written) => this.watcher.expect(app, written),
      onDeleted: (_app, ref) => this.watcher.forget(ref),
    }).finally(() => this.watcher.release());
    if (signal.aborted) {
      this.o.log.info(
        { step: 'reconcile', revision: rev.sha, durationMs: Date.now() - started },
        'reconcile stopped: shutting down or no longer the leader',
      );
      return;
    }
    this.o.log.info(
      { step: 'reconcile', revision: rev.sha, durationMs: Date.now() - started, converged: result.converged },
      'reconcile finished',
    );
    const inventories = new Map(
      (await new InventoryStore(this.o.client, this.o.namespace).list(result.env))
        .filter((i) => i.source?.name === this.sourceName)
        .map((i) => [i.app, i]),
    );
    // Apps that left Git and were pruned whole are gone: not "Ready", their AppSyncs go below.
    const inRevision = new Set(this.loaded.apps.map((a) => a.name));
    const gone = new Set(result.apps.filter((a) => !inRevision.has(a.app) && a.converged).map((a) => a.app));
    for (const app of result.apps) {
      if (signal.aborted) return;
      if (gone.has(app.app)) {
        this.o.log.info(
          { step: 'app', app: app.app, revision: rev.sha, pruned: app.pruned.length },
          'app removed: it left Git and was pruned',
        );
        this.o.metrics.forgetApp(app.app, result.env, this.sourceName);
        continue;
      }
      // An app another source owns gets no AppSync of ours: its owner's stays as it is.
      const conflicted = app.problems.some((x) => x.kind === 'source-conflict');
      const name = appSyncName(result.env, app.app);
      const existing = syncs.get(name);
      let sync = existing && ownerOf(existing) === this.sourceName ? existing : undefined;
      if (!sync && !conflicted) {
        const claim = await this.status.claim(result.env, app.app, this.sourceName, existing);
        if (claim.ok) {
          sync = claim.sync;
          syncs.set(name, sync);
        }
      }
      await this.record(app, result, rev, sync, p.drift.get(app.app), suspended.has(app.app), inventories.get(app.app));
      if (suspended.has(app.app) && !this.o.suspend?.has(app.app)) {
        this.suspendedBySync.add(app.app);
        // Lifted while this reconcile ran: its watch event came before the app was known as
        // suspended. Only a state newer than the one this reconcile listed counts (the watch may lag).
        const seen = this.seenSuspended.get(app.app);
        const listed = resourceVersionOf(syncs.get(appSyncName(result.env, app.app)));
        if (seen && !seen.suspended && !notNewer(seen.resourceVersion, listed)) this.resume(app.app);
      } else this.suspendedBySync.delete(app.app);
    }
    if (signal.aborted) return;
    // Health is followed from here on, outside the reconcile.
    for (const target of result.healthTargets ?? []) {
      const app = result.apps.find((a) => a.app === target.app);
      if (app?.outcome === 'Unhealthy') this.health.follow(target, app.unhealthy);
    }
    await this.requests.handled(
      requested,
      result.env,
      result.apps.map((a) => a.app),
    );
    await stampAgentVersion(
      this.o.client,
      this.o.namespace,
      result.apps.map((a) => syncs.get(appSyncName(result.env, a.app))),
      this.o.log,
    );
    if (full) {
      // AppSyncs of apps that left Git and were pruned whole go too (or had nothing left to prune); only ours.
      for (const s of syncs.values()) {
        if (
          ownerOf(s) === this.sourceName &&
          s.spec.env === result.env &&
          (gone.has(s.spec.app) || !result.apps.some((a) => a.app === s.spec.app))
        )
          await this.status.remove(s.spec.env, s.spec.app);
      }
    }
    await this.updateWatches(
      [...inventories.values()],
      new Set(result.apps.filter((a) => a.status === 'Applied').map((a) => a.app)),
    );
  }

  private async checkHistory(previous: Revision | undefined, rev: Revision): Promise<void> {
    const last = previous?.sha ?? (await this.ownSyncs()).map((s) => s.status?.lastAppliedRevision).find(Boolean);
    if (!last || last === rev.sha) return;
    if ((await isAncestor(rev.dir, last, rev.sha)) === false) {
      const message = `the deploy branch moved from ${last.slice(0, 12)} to ${rev.sha.slice(0, 12)}, which does not contain it (force-push or unrelated history); applying ${rev.sha.slice(0, 12)} as the desired state, with the prune guards in force`;
      this.o.log.warn({ revision: rev.sha, previous: last }, message);
      this.historyRewrite = { from: last, to: rev.sha, time: new Date().toISOString() };
      this.o.notifier.send({ kind: 'HistoryRewritten', revision: rev.sha, message });
      for (const s of await this.ownSyncs())
        await this.status.event(s, 'Warning', 'HistoryRewritten', message).catch(() => undefined);
    }
  }

  /** This source's AppSyncs (another source's are never read for status or written). */
  private async ownSyncs(): Promise<AppSync[]> {
    return (await this.status.list()).filter((s) => ownerOf(s) === this.sourceName);
  }

  /** Marks every AppSync of this source not ready (source or build failure), keeping the last applied revision. */
  private async markAll(reason: string, message: string, stalled: boolean, revision?: string): Promise<void> {
    let syncs: AppSync[];
    try {
      syncs = await this.ownSyncs();
    } catch {
      return; // the apiserver is away too; status waits
    }
    const now = new Date().toISOString();
    for (const s of syncs) {
      const st = s.status ?? {};
      this.o.metrics.appReady.set({ app: s.spec.app, env: s.spec.env, source: this.sourceName }, 0);
      await this.status
        .writeStatus(s.spec.env, s.spec.app, {
          ...st,
          ...(revision ? { lastAttemptedRevision: revision } : {}),
          conditions: [
            condition(st.conditions, 'Ready', 'False', reason, message, now),
            condition(st.conditions, 'Reconciling', 'False', reason, message, now),
            condition(st.conditions, 'Stalled', stalled ? 'True' : 'False', reason, message, now),
          ],
        })
        .catch(() => undefined);
      if (st.conditions?.find((c) => c.type === 'Ready')?.reason !== reason)
        await this.status.event(s, 'Warning', reason, message).catch(() => undefined);
    }
  }

  private retryLater(key: string, fn: () => void): void {
    if (this.stopped) return;
    const n = (this.failures.get(key) ?? 0) + 1;
    this.failures.set(key, n);
    const delay = Math.min((this.o.retryBaseMs ?? 5000) * 2 ** (n - 1), this.o.retryMaxMs ?? 300_000);
    if (this.retryTimers.has(key)) clearTimeout(this.retryTimers.get(key)!);
    this.retryTimers.set(
      key,
      setTimeout(() => {
        this.retryTimers.delete(key);
        fn();
      }, delay),
    );
  }

  private async record(
    app: AppResult,
    result: ReconcileResult,
    rev: Revision,
    sync: AppSync | undefined,
    drift: string[] | undefined,
    suspended: boolean,
    inventory: Inventory | undefined,
  ): Promise<void> {
    const { env } = result;
    const m = this.o.metrics;
    const labels = { app: app.app, env, source: this.sourceName };
    this.lastResults.set(app.app, { result: app, rev, sync });
    const previous = this.lastStatus(app.app, sync);
    const update = nextAppSyncStatus({
      previous,
      app,
      revision: rev,
      now: new Date(),
      suspended,
      drift,
      inventory: inventory?.objects,
      historyRewrite: this.historyRewrite,
    });
    m.reconcileDuration.observe({ ...labels, result: update.result }, app.durationMs / 1000);
    m.reconciles.inc({ ...labels, result: update.result });
    for (const action of ['created', 'configured', 'unchanged', 'pruned', 'held'] as const) {
      const n = app.entries.filter((e) => e.action === action).length;
      if (n > 0) m.objects.inc({ ...labels, action }, n);
    }
    const converged = update.ready.reason === 'ReconciliationSucceeded';
    m.appReady.set(labels, converged ? 1 : 0);
    this.o.log.info(
      {
        step: 'app',
        app: app.app,
        revision: rev.sha,
        status: app.status,
        outcome: app.outcome,
        durationMs: app.durationMs,
        created: app.created.length,
        configured: app.configured.length,
        pruned: app.pruned.length,
        held: app.held.length,
        health: app.health,
        why: app.why || undefined,
      },
      'app reconciled',
    );
    if (update.repaired) m.driftRepairs.inc(labels);
    if (update.commitToConvergedSeconds !== undefined) m.commitToConverged.set(labels, update.commitToConvergedSeconds);
    const lastApplied = update.status.lastAppliedRevision;
    if (lastApplied) m.setRevision(app.app, env, lastApplied, this.sourceName);
    if (converged) this.failures.delete(app.app);
    await this.tell(app.app, env, rev, sync, update);
    // An unhealthy app is followed by the health monitor: applying it again would not help.
    if (!suspended && !converged && app.held.length === 0 && app.outcome !== 'Unhealthy')
      this.retryLater(app.app, () => this.request('retry', false, [app.app]));
  }

  /** The app's AppSync status as this replica last wrote it (a health update may have followed the list), else as listed. */
  private lastStatus(app: string, sync: AppSync | undefined): AppSyncStatus | undefined {
    const own = this.statuses.get(app);
    return own && own.uid === sync?.metadata.uid ? own.status : sync?.status;
  }

  /** Writes an app's AppSync status and Events and sends its alerts. */
  private async tell(
    app: string,
    env: string,
    rev: Revision,
    sync: AppSync | undefined,
    update: AppSyncUpdate,
  ): Promise<void> {
    if (sync) {
      await this.status.writeStatus(env, app, update.status).then(
        () => {
          this.statuses.set(app, { uid: sync.metadata.uid, status: update.status });
        },
        (e: Error) => this.o.log.warn({ app, err: e.message }, 'status write failed'),
      );
      for (const e of update.events) await this.status.event(sync, e.type, e.reason, e.message).catch(() => undefined);
    }
    for (const a of update.alerts)
      this.o.notifier.send({ kind: a.kind, app, env, revision: rev.sha, message: a.message });
    this.o.notifier.sync({
      app,
      env,
      revision: rev.sha,
      ...sourceOf(rev),
      reason: update.ready.reason,
      message: update.ready.message,
    });
  }

  /** The health monitor saw an applied app's health change: status, metrics, and the apps waiting for it. */
  private async onHealth(app: string, health: readonly ObjectHealth[]): Promise<void> {
    const last = this.lastResults.get(app);
    if (!last || this.stopped || !this.isLeader()) return;
    const result = withHealth(last.result, summarize(health));
    this.lastResults.set(app, { ...last, result });
    const update = healthAppSyncStatus({
      previous: this.lastStatus(app, last.sync),
      app: result,
      revision: last.rev,
      now: new Date(),
    });
    const labels = { app, env: result.env, source: this.sourceName };
    const converged = update.ready.reason === 'ReconciliationSucceeded';
    this.o.metrics.appReady.set(labels, converged ? 1 : 0);
    if (update.commitToConvergedSeconds !== undefined)
      this.o.metrics.commitToConverged.set(labels, update.commitToConvergedSeconds);
    this.o.log.info(
      {
        step: 'health',
        app,
        revision: last.rev.sha,
        health: result.health,
        outcome: result.outcome,
        why: result.why || undefined,
      },
      'app health changed',
    );
    await this.tell(app, result.env, last.rev, last.sync, update);
    if (!converged) return;
    this.failures.delete(app);
    // Apps skipped because they depend on this one go now.
    const waiting = (this.loaded?.apps ?? [])
      .filter((a) => a.dependsOn.includes(app) && this.lastResults.get(a.name)?.result.outcome === 'Skipped')
      .map((a) => a.name);
    if (waiting.length > 0) this.request('dependency', false, waiting);
  }

  /** An AppSync was seen (listed or changed): a suspend lifted there reconciles its app at once. */
  private onAppSync(sync: AppSync): void {
    // Another source's AppSync (one agent runs several sources): its requests and suspends are not ours.
    const owner = ownerOf(sync);
    if (owner !== undefined && owner !== this.sourceName) return;
    this.requests.seen(sync);
    const app = sync.spec?.app;
    if (!app || sync.spec.env !== this.loaded?.env) return;
    const suspended = sync.spec.suspend === true || sync.metadata.annotations?.[SUSPEND_ANNOTATION] === 'true';
    this.seenSuspended.set(app, { suspended, resourceVersion: resourceVersionOf(sync) });
    if (!suspended && this.suspendedBySync.has(app)) this.resume(app);
  }

  private resume(app: string): void {
    this.suspendedBySync.delete(app);
    this.o.log.info({ app }, 'suspend lifted; reconciling');
    this.request('resume', false, [app]);
  }

  /** Guards every object of the revision's apps, as recorded in their inventories, at its current state. */
  private async updateWatches(all: readonly Inventory[], justApplied: ReadonlySet<string>): Promise<void> {
    if (!this.loaded) return;
    const apps = new Set(this.loaded.apps.map((a) => a.name));
    const refs = all.filter((i) => apps.has(i.app)).flatMap((i) => i.objects.map((ref) => ({ app: i.app, ref })));
    const live = new LiveState(this.objects);
    await live.refresh(refs.map((r) => r.ref));
    const targets: WatchTarget[] = [];
    const desired = new Set(this.loaded.apps.flatMap((a) => a.objects.map((o) => identityKey(refOf(o.manifest)))));
    for (const { app, ref } of refs) {
      const m = live.get(ref);
      if (m)
        targets.push({
          app,
          ref,
          fingerprint: fingerprint(m),
          resourceVersion: m.metadata.resourceVersion as string | undefined,
        });
      // Deleted between the apply and this look: drift the watch would never see. Only
      // where the list answered: a refused list (403) says nothing about the object.
      else if (live.listedAll(ref) && justApplied.has(app) && desired.has(identityKey(ref)))
        this.onDrift({ app, object: describeObject(ref), change: 'deleted' });
    }
    this.watcher.setTargets(targets);
  }

  /**
   * Stops timers, watches and the health monitor, stops the current cycle at its next
   * write, waits for it, releases the lease and sends what notifications are queued:
   * as soon as that is done, and within `graceMs` in any case.
   */
  public async stop(graceMs = 20_000): Promise<void> {
    const deadline = Date.now() + graceMs;
    this.stopped = true;
    if (this.timer) clearTimeout(this.timer);
    if (this.debounce) clearTimeout(this.debounce);
    for (const t of this.retryTimers.values()) clearTimeout(t);
    this.cycleAbort?.abort();
    this.watcher.stop();
    this.appSyncs.stop();
    await until(Promise.all([this.running, this.health.stop()]), deadline);
    if (this.o.leader && this.o.leaderOwned !== false) await until(this.o.leader.stop(), deadline);
    await until(this.o.notifier.flush(), deadline);
  }
}
