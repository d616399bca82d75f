import * as fs from 'fs';
import * as path from 'path';
import { isDeepStrictEqual } from 'util';
import { GitSource } from '../../model/gitsource';
import { KubeClient } from '../../kube/client';
import { GitAuth, redactUrl } from '../source/fetch';
import { sourceIdentity } from '../../model/source';
import { ReadOptions } from '../reconcile/step';
import { GitSourceStore } from '../state/gitsource-store';
import { StatusStore } from '../state/status-store';
import { AppSync } from '../../model/appsync';
import { Controller, ControllerOptions } from './controller';
import { LeaderElector } from './leader';
import { Logger, childLogger } from './log';
import { AgentMetrics } from './metrics';
import { Notifier } from './notify';
import { Readiness, dependencyCycle, dependencyWait, nextGitSourceStatus, readinessOf } from './source-readiness';
import { SourceSettings, isSpecProblem, repositoryKey, sourceSettings, webhookRepositories } from './source-spec';

/** What a controller of the supervisor gets from it rather than from its source. */
type Shared = 'client' | 'namespace' | 'metrics' | 'log' | 'notifier' | 'leader' | 'leaderOwned' | 'gate';

/** Settings of the sources declared as GitSources: everything a GitSource's spec does not set. */
export interface SourceDefaults {
  /** Render settings, layout and namespace (spec.layout and spec.targetNamespace override them). */
  readonly load: Omit<ReadOptions, 'cache' | 'path' | 'env' | 'app' | 'serviceAccount' | 'fallbackName'>;
  /** Apply settings of every source (spec.targetNamespace overrides the default namespace). */
  readonly apply: ControllerOptions['apply'];
  /** Poll interval when spec.interval is not set. */
  readonly intervalMs: number;
  /** Apps suspended by flag. @default - none */
  readonly suspend?: ReadonlySet<string>;
  /** @default 5000 */
  readonly retryBaseMs?: number;
  /** @default 300 */
  readonly driftDebounceMs?: number;
  /** Where the checkout of a source lives between runs (its credentials go beside it). */
  readonly workdir: (s: SourceSettings) => string;
  /** The app name of plain YAML at a repo root. */
  readonly fallbackName: (url: string) => string;
}

/** Everything the supervisor needs. */
export interface SupervisorOptions {
  readonly client: KubeClient;
  /** The agent's namespace: its GitSources, AppSyncs, inventories and Lease. */
  readonly namespace: string;
  readonly metrics: AgentMetrics;
  readonly log: Logger;
  readonly notifier: Notifier;
  /** One elector for every source: only its holder reconciles. @default - none: this replica always reconciles */
  readonly leader?: LeaderElector;
  /** The source of the command line (`--repo`). @default - none: only GitSources */
  readonly flagSource?: Omit<ControllerOptions, Shared> & { readonly dependsOn?: readonly string[] };
  /** Run the GitSources of the namespace with these settings. @default - none: GitSources are not read */
  readonly sources?: SourceDefaults;
  /** How often GitSources (and their Secrets) are listed. @default 5000 */
  readonly resyncMs?: number;
  /** How often source readiness is worked out (statuses written, dependents released). @default 2000 */
  readonly statusEveryMs?: number;
}

/** One source the supervisor runs (or cannot run, and says why). */
interface Run {
  readonly name: string;
  /** What it was started from: a new key restarts it. */
  readonly key: string;
  readonly controller?: Controller;
  readonly url?: string;
  readonly dependsOn: readonly string[];
  /** The GitSource it comes from. @default - none: the command line's source */
  readonly gitSource?: GitSource;
  readonly problem?: { readonly reason: 'InvalidSpec' | 'CredentialsNotFound'; readonly message: string };
  readonly suspended?: boolean;
}

/**
 * Runs one {@link Controller} per source: the command line's, and one per GitSource
 * of the agent's namespace (started, restarted on a change of its spec or Secret,
 * stopped when it goes). Each has its own schedule, checkout, inventories, AppSyncs
 * and status; one failing never stops the others. A source with `dependsOn` waits
 * until each named source is Ready (every app Ready at its current revision). One
 * leader elector serves all of them; statuses are written by the leader only.
 */
export class Supervisor {
  private readonly runs = new Map<string, Run>();
  private readonly readiness = new Map<string, Readiness>();
  /** Per GitSource uid, the status last written. */
  private readonly written = new Map<string, unknown>();
  private readonly gitSources: GitSourceStore;
  private readonly syncs: StatusStore;
  private syncTimer?: NodeJS.Timeout;
  private statusTimer?: NodeJS.Timeout;
  private syncing?: Promise<void>;
  private crdInstalled = false;
  private lastListError?: string;
  private stopped = false;

  constructor(private readonly o: SupervisorOptions) {
    this.gitSources = new GitSourceStore(o.client, o.namespace);
    this.syncs = new StatusStore(o.client, o.namespace);
  }

  /** The controllers running now, by source name (tests, webhooks). */
  public controllers(): ReadonlyMap<string, Controller> {
    return new Map([...this.runs].flatMap(([n, r]) => (r.controller ? [[n, r.controller] as const] : [])));
  }

  /** Where each source stands, as last worked out. */
  public sourceReadiness(): ReadonlyMap<string, Readiness> {
    return this.readiness;
  }

  /** Why source `name` waits for its dependencies (a cycle among them, or one not Ready), or undefined. */
  private waitReason(name: string, dependsOn: readonly string[]): string | undefined {
    const graph = new Map([...this.runs.values()].map((r) => [r.name, r.dependsOn]));
    const cycle = dependencyCycle(name, graph);
    if (cycle) return `dependsOn cycle: ${cycle.join(' -> ')}; nothing is applied until it is broken`;
    return dependencyWait(dependsOn, this.readiness);
  }

  private isLeader(): boolean {
    return !this.o.leader || this.o.leader.isLeader();
  }

  private shared(name: string, dependsOn: readonly string[]): Pick<ControllerOptions, Shared> {
    return {
      client: this.o.client,
      namespace: this.o.namespace,
      metrics: this.o.metrics,
      log: childLogger(this.o.log, { source: name }),
      notifier: this.o.notifier,
      leader: this.o.leader,
      leaderOwned: false,
      gate: () => {
        const why = this.waitReason(name, dependsOn);
        return why ? { ready: false, message: why } : { ready: true };
      },
    };
  }

  /** Starts the command line's source, the GitSource loop, the status loop and (with leader election) campaigning. */
  public async start(): Promise<void> {
    const f = this.o.flagSource;
    if (f) {
      const name = sourceIdentity(
        { url: redactUrl(f.source.url), branch: f.source.branch, path: f.load.path },
        f.sourceName,
      ).name;
      const controller = new Controller({ ...f, ...this.shared(name, f.dependsOn ?? []) });
      this.runs.set(name, { name, key: '', controller, url: f.source.url, dependsOn: f.dependsOn ?? [] });
      await controller.start();
    }
    this.o.leader?.start();
    this.scheduleSync(0);
    this.scheduleStatus();
  }

  /** Called by the leader elector: every controller follows, and the leader lists GitSources at once. */
  public onLeadership(leading: boolean): void {
    for (const r of this.runs.values()) r.controller?.onLeadership(leading);
    if (leading) this.scheduleSync(0);
    else {
      this.crdInstalled = false;
      this.written.clear();
    }
  }

  /** A verified webhook: reconcile the sources of the repository it names, or every source when it names none of them. */
  public onWebhook(body: Buffer): void {
    const named = webhookRepositories(body);
    const runs = [...this.runs.values()].filter((r) => r.controller);
    const matching = runs.filter((r) => r.url && named.has(repositoryKey(r.url)));
    const targets = matching.length > 0 ? matching : runs;
    this.o.log.info({ sources: targets.map((r) => r.name), matched: matching.length > 0 }, 'webhook routed');
    for (const r of targets) r.controller!.request('webhook', true);
  }

  /**
   * Readiness of the process: the command line's source's, when there is one; else an
   * apiserver that answers (and, as a standby, a lease it can read).
   */
  public async ready(): Promise<{ ok: boolean; reason: string }> {
    const flag = [...this.runs.values()].find((r) => !r.gitSource && r.controller);
    const others = [...this.runs.values()].filter((r) => r.gitSource).length;
    const suffix = others > 0 ? `; ${others} GitSource(s)` : '';
    if (flag) {
      const r = await flag.controller!.ready();
      return { ...r, reason: r.reason + suffix };
    }
    if (!this.isLeader() && this.o.leader?.lastError)
      return { ok: false, reason: `standby: lease: ${this.o.leader.lastError}` };
    try {
      await this.o.client.request('GET', '/version');
    } catch (e) {
      return { ok: false, reason: `apiserver: ${(e as Error).message}` };
    }
    return { ok: true, reason: `${this.isLeader() ? 'leader' : 'standby'}${suffix || '; no sources yet'}` };
  }

  private scheduleSync(delayMs = this.o.resyncMs ?? 5000): void {
    if (this.stopped || !this.o.sources) return;
    if (this.syncTimer) clearTimeout(this.syncTimer);
    this.syncTimer = setTimeout(() => {
      this.syncTimer = undefined;
      if (this.syncing) {
        this.scheduleSync();
        return;
      }
      this.syncing = this.sync()
        .catch((e: Error) => this.o.log.error({ err: e.message }, 'GitSource sync failed'))
        .finally(() => {
          this.syncing = undefined;
          this.scheduleSync();
        });
    }, delayMs);
  }

  private scheduleStatus(): void {
    if (this.stopped) return;
    this.statusTimer = setTimeout(() => {
      void this.updateStatuses()
        .catch((e: Error) => this.o.log.warn({ err: e.message }, 'source status update failed'))
        .finally(() => this.scheduleStatus());
    }, this.o.statusEveryMs ?? 2000);
  }

  /** Lists the GitSources and brings the running controllers in line with them (the leader only). */
  private async sync(): Promise<void> {
    const defaults = this.o.sources;
    if (!defaults || !this.isLeader() || this.stopped) return;
    if (!this.crdInstalled) {
      try {
        await this.gitSources.ensureCrd();
      } catch (e) {
        // An install from Git (AgentInstall) has it already; a narrower agent may not write it.
        this.o.log.debug({ err: (e as Error).message }, 'GitSource CRD not installed by the agent');
      }
      this.crdInstalled = true;
    }
    let listed: GitSource[];
    try {
      listed = await this.gitSources.list();
      this.lastListError = undefined;
    } catch (e) {
      const message = (e as Error).message;
      if (message !== this.lastListError)
        this.o.log.warn({ err: message }, 'cannot list GitSources; running the sources already started');
      this.lastListError = message;
      return;
    }
    const seen = new Set<string>();
    for (const gs of listed) {
      if (this.stopped) return;
      const name = gs.metadata.name;
      const existing = this.runs.get(name);
      if (existing && !existing.gitSource) {
        this.o.log.warn({ gitSource: name }, 'a GitSource has the name of the command line source; ignored');
        continue;
      }
      seen.add(name);
      try {
        const run = await this.desired(gs, defaults, existing?.key);
        if (!run) {
          this.runs.set(name, { ...existing!, gitSource: gs });
          continue;
        }
        if (existing?.controller) {
          this.o.log.info({ source: name }, 'GitSource changed; restarting its source');
          await existing.controller.stop(10_000);
        }
        this.runs.set(name, run);
        if (run.controller) {
          this.o.log.info({ source: name, repo: run.url }, 'source started');
          await run.controller.start();
        }
      } catch (e) {
        this.o.log.error({ source: name, err: (e as Error).message }, 'cannot start source');
      }
    }
    for (const [name, run] of this.runs) {
      if (!run.gitSource || seen.has(name)) continue;
      this.o.log.info({ source: name }, 'GitSource removed; its source stops (what it applied stays)');
      this.runs.delete(name);
      this.readiness.delete(name);
      this.o.metrics.sourceReady.remove({ source: name });
      await run.controller?.stop(10_000);
    }
  }

  /** The run a GitSource asks for: its controller (not started), or why there is none; undefined when that is `runningKey`'s. */
  private async desired(gs: GitSource, defaults: SourceDefaults, runningKey?: string): Promise<Run | undefined> {
    const name = gs.metadata.name;
    const settings = sourceSettings(gs);
    const same = (run: Run): Run | undefined => (run.key === runningKey ? undefined : run);
    if (isSpecProblem(settings))
      return same({ name, key: JSON.stringify(['invalid', gs.spec]), dependsOn: [], gitSource: gs, problem: settings });
    const base = { name, url: settings.url, dependsOn: settings.dependsOn, gitSource: gs };
    if (settings.suspend) return same({ ...base, key: JSON.stringify(['suspended', gs.spec]), suspended: true });
    const workdir = defaults.workdir(settings);
    let auth: GitAuth | undefined;
    let secretVersion: string | undefined;
    if (settings.secretName) {
      const creds = await this.gitSources.credentials(settings.secretName);
      if (!creds)
        return same({
          ...base,
          key: JSON.stringify(['no-secret', gs.spec]),
          problem: {
            reason: 'CredentialsNotFound',
            message: `Secret "${settings.secretName}" not found in namespace ${this.o.namespace}`,
          },
        });
      secretVersion = creds.resourceVersion;
      if (JSON.stringify([gs.spec, secretVersion ?? null]) === runningKey) return undefined;
      // Key files for git and ssh, readable by the agent only, beside the checkout.
      const dir = `${workdir}.auth`;
      fs.mkdirSync(dir, { recursive: true, mode: 0o700 });
      const file = (n: string, content: string | undefined) => {
        if (content === undefined) return undefined;
        const p = path.join(dir, n);
        fs.writeFileSync(p, content.endsWith('\n') ? content : `${content}\n`, { mode: 0o600 });
        return p;
      };
      auth = {
        token: creds.token,
        sshKeyFile: file('identity', creds.sshKey),
        knownHostsFile: file('known_hosts', creds.knownHosts),
      };
    }
    const key = JSON.stringify([gs.spec, secretVersion ?? null]);
    if (key === runningKey) return undefined;
    const namespace = settings.targetNamespace ?? defaults.load.namespace;
    const controller = new Controller({
      ...this.shared(name, settings.dependsOn),
      source: { url: settings.url, branch: settings.branch, workdir, auth },
      sourceName: name,
      load: {
        ...defaults.load,
        ...(settings.layout ? { layout: settings.layout } : {}),
        path: settings.path,
        env: settings.env,
        app: settings.app,
        serviceAccount: settings.serviceAccount,
        fallbackName: defaults.fallbackName(settings.url),
        namespace,
      },
      apply: {
        ...defaults.apply,
        ...(settings.targetNamespace ? { defaultNamespace: settings.targetNamespace } : {}),
      },
      intervalMs: settings.intervalMs ?? defaults.intervalMs,
      suspend: defaults.suspend,
      retryBaseMs: defaults.retryBaseMs,
      driftDebounceMs: defaults.driftDebounceMs,
    });
    return { ...base, key, controller };
  }

  /** Works out each source's readiness, writes the GitSource statuses that changed, and releases dependents. */
  private async updateStatuses(): Promise<void> {
    if (this.stopped || !this.isLeader()) return;
    let syncs: AppSync[];
    try {
      syncs = await this.syncs.list();
    } catch {
      return; // the apiserver is away: statuses wait
    }
    const becameReady: string[] = [];
    for (const run of this.runs.values()) {
      const controllerState = run.controller?.state();
      // What the dependencies say now (the controller recorded what they said at its last cycle).
      const state = controllerState?.blocked
        ? { ...controllerState, blocked: this.waitReason(run.name, run.dependsOn) ?? controllerState.blocked }
        : controllerState;
      const r = readinessOf(state, syncs, { problem: run.problem, suspended: run.suspended });
      if (r.ready && !this.readiness.get(run.name)?.ready) becameReady.push(run.name);
      this.readiness.set(run.name, r);
      this.o.metrics.sourceReady.set({ source: run.name }, r.ready ? 1 : 0);
      const gs = run.gitSource;
      if (!gs) continue;
      const uid = gs.metadata.uid ?? gs.metadata.name;
      const previous = (this.written.get(uid) as GitSource['status']) ?? gs.status;
      const next = nextGitSourceStatus(previous, r, state, gs.metadata.generation, new Date());
      if (isDeepStrictEqual(previous, next)) continue;
      try {
        await this.gitSources.writeStatus(gs.metadata.name, next);
        this.written.set(uid, next);
        if (previous?.conditions?.[0]?.reason !== r.reason)
          this.o.log.info({ source: run.name, reason: r.reason, why: r.message }, 'source status changed');
      } catch (e) {
        this.o.log.warn({ source: run.name, err: (e as Error).message }, 'GitSource status write failed');
      }
    }
    // Sources that waited for these go now.
    for (const run of this.runs.values())
      if (run.controller?.state().blocked && run.dependsOn.some((d) => becameReady.includes(d)))
        run.controller.request('dependency', true);
  }

  /** Stops every source (each within `graceMs`), then releases the lease. */
  public async stop(graceMs = 20_000): Promise<void> {
    this.stopped = true;
    if (this.syncTimer) clearTimeout(this.syncTimer);
    if (this.statusTimer) clearTimeout(this.statusTimer);
    await this.syncing?.catch(() => undefined);
    await Promise.all([...this.runs.values()].map((r) => r.controller?.stop(graceMs)));
    await this.o.leader?.stop();
  }
}
