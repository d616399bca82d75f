import { ApplyContext, STOPPED_MESSAGE, applyApp } from '../apply/apply-app';
import { DecryptionOptions, Decryptor } from './decryption';
import { AppResult, ChangeSet, appResult } from '../apply/change-set';
import { settleLimit } from '../../model/concurrency';
import { Discovery } from '../../kube/discovery';
import { ObjectHealth, summarize } from '../apply/health';
import { InventoryStore, normalizeRefs, sameRefs } from '../state/inventory';
import { KubeClient } from '../../kube/client';
import { LiveState } from '../../kube/live';
import { DesiredApp } from '../source/load';
import { LoadedRevision, allowedByTrailers } from '../source/revision';
import { ObjectClient } from '../../kube/objects';
import { planPrune } from '../plan/prune';
import { executePrune } from '../apply/prune';
import { PreparedObject } from '../plan/prepare';
import { HealthTarget, WaitOptions, waitHealthy } from '../apply/wait';
import { Manifest, ObjectRef, identityKey, refOf } from '../../model/manifest';
import { sourceIdentity } from '../../model/source';
import { SourceConflictError } from '../state/errors';
import { ownInventories } from '../state/ownership';

/** Options of {@link reconcile}. */
export interface ReconcileOptions {
  readonly client: KubeClient;
  /** The revision and what it asks for; its `Allow-Prune:` trailers lift the prune guards for those apps. */
  readonly loaded: LoadedRevision;
  /** Print the plan, write nothing. @default false */
  readonly dryRun?: boolean;
  /** Apps allowed past the prune guards (`*` for all). @default none */
  readonly allowPrune?: readonly string[];
  /** Prune CRDs that left Git. @default false */
  readonly pruneCrds?: boolean;
  /** Namespace of the inventory ConfigMaps. @default 'synthops-system' */
  readonly inventoryNamespace?: string;
  /**
   * Name of the source this revision comes from (`--source`). Only this source's
   * inventories are listed, pruned and removed. @default - derived from the revision's URL, branch and path
   */
  readonly source?: string;
  /**
   * Apps of the revision that another source claims (the caller saw its AppSync),
   * each with that source's name: reported as conflicts, never written or pruned. @default - none
   */
  readonly claimedElsewhere?: ReadonlyMap<string, string>;
  /** Namespace for namespaced objects that name none. @default 'default' */
  readonly defaultNamespace?: string;
  /** Requests in flight per app. @default 8 */
  readonly concurrency?: number;
  /** Apps reconciled at once. @default 16 */
  readonly appConcurrency?: number;
  /** How long to wait for readiness and health, and how often to look. @default 2 min, 1 s */
  readonly wait?: Partial<WaitOptions>;
  /** Wait for health after applying (like Flux's `wait`); without it apps count as converged once applied. @default true */
  readonly waitForHealth?: boolean;
  /**
   * How health is checked (with `waitForHealth`): `wait` polls until healthy or the
   * timeout; `once` looks once after the writes and leaves the rest to the caller (the
   * long-running agent follows health outside the reconcile, so a slow rollout never
   * holds up the next revision). @default 'wait'
   */
  readonly health?: 'wait' | 'once';
  /** Once fired, no further write or wait starts (shutdown, lost leadership); the result is then partial. @default - none: runs to the end */
  readonly signal?: AbortSignal;
  /** Told of every object pruned. @default - none */
  readonly onDeleted?: (app: string, ref: ObjectRef) => void;
  /** Reconcile only these apps (drift repair, retries); apps that left Git are then not pruned. @default - all */
  readonly onlyApps?: ReadonlySet<string>;
  /** Apps whose writes are suspended: they are planned (drift reported) but nothing is written. @default - none */
  readonly suspended?: ReadonlySet<string>;
  /** Where the age identities for SOPS-encrypted objects are. @default - none: encrypted objects fail their app */
  readonly decryption?: DecryptionOptions;
  /** Told of every object written, with the server's answer. @default - none */
  readonly onWritten?: (app: string, written: Manifest) => void;
  /**
   * The app that installs this agent: the agent's namespace (`inventoryNamespace`) is
   * reserved for it, and other apps with objects there are refused before any write.
   * @default - none: the namespace is not reserved
   */
  readonly ownApp?: string;
  /**
   * The ServiceAccounts (`namespace/name`) apps may be applied as; an app naming
   * another is refused before any write. Accounts of kube-system and of the agent's
   * namespace are refused always.
   * @default - any other account
   */
  readonly allowedServiceAccounts?: readonly string[];
  /** Told as the reconcile goes (`agent --once` shows it). @default - none */
  readonly progress?: ReconcileProgress;
}

export { AppResult };

/** What a reconcile tells as it goes; every method is optional. */
export interface ReconcileProgress {
  /** A level of apps starts applying. @default - none */
  readonly applying?: (apps: readonly string[]) => void;
  /** One look at the health of the applied apps not yet settled. @default - none */
  readonly waiting?: (health: ReadonlyMap<string, readonly ObjectHealth[]>) => void;
  /** An app has its final result (some apps settle before others of their level). @default - none */
  readonly done?: (result: AppResult) => void;
}

/** The outcome of one reconcile. */
export interface ReconcileResult {
  readonly revision: string;
  readonly env: string;
  readonly apps: readonly AppResult[];
  /** Every app applied and healthy, nothing held. */
  readonly converged: boolean;
  /** The objects of each applied app, and where to read them: what a caller follows when health was looked at `once`. @default - none */
  readonly healthTargets?: readonly HealthTarget[];
}

/** Groups apps into levels: each level depends only on earlier ones. Apps in a cycle are returned apart. */
export function dependencyLevels(apps: readonly DesiredApp[]): { levels: DesiredApp[][]; cyclic: DesiredApp[] } {
  const names = new Set(apps.map((a) => a.name));
  const levelOf = new Map<string, number>();
  const levels: DesiredApp[][] = [];
  let remaining = [...apps];
  while (remaining.length > 0) {
    const ready = remaining.filter((a) => a.dependsOn.every((d) => !names.has(d) || levelOf.has(d)));
    if (ready.length === 0) return { levels, cyclic: remaining };
    for (const a of ready) levelOf.set(a.name, levels.length);
    levels.push(ready);
    remaining = remaining.filter((a) => !ready.includes(a));
  }
  return { levels, cyclic: [] };
}

/** Which app claims each object of the revision (namespace-less objects under both possible keys). */
function claims(loaded: LoadedRevision, defaultNamespace: string): Map<string, string> {
  const out = new Map<string, string>();
  for (const app of loaded.apps) {
    for (const o of app.objects) {
      const ref = refOf(o.manifest);
      out.set(identityKey(ref), app.name);
      if (!ref.namespace) out.set(identityKey({ ...ref, namespace: defaultNamespace }), app.name);
    }
  }
  return out;
}

function allowedApps(opts: ReconcileOptions): Set<string> {
  return new Set([...(opts.allowPrune ?? []), ...allowedByTrailers(opts.loaded.revision)]);
}

/**
 * Makes the cluster equal to one loaded revision: apps in dependency order
 * (independent apps concurrently), each validated before any write and applied with
 * server-side apply, their inventories updated, what left Git pruned within the
 * guards, and their health awaited. Apps removed from the revision are pruned whole
 * only when allowed.
 */
export async function reconcile(opts: ReconcileOptions): Promise<ReconcileResult> {
  const objects = new ObjectClient(opts.client, new Discovery(opts.client));
  const source = sourceIdentity(opts.loaded.revision.source, opts.source);
  const inventory = new InventoryStore(opts.client, opts.inventoryNamespace ?? 'synthops-system', source);
  const wait: WaitOptions = {
    timeoutMs: opts.wait?.timeoutMs ?? 120_000,
    pollMs: opts.wait?.pollMs ?? 1000,
    signal: opts.signal,
  };
  const decryptor = new Decryptor(
    opts.client,
    opts.decryption && {
      name: opts.decryption.secretName,
      namespace: opts.decryption.namespace ?? opts.inventoryNamespace ?? 'synthops-system',
    },
  );
  const ctx: ApplyContext = {
    objects,
    live: new LiveState(objects, opts.concurrency ?? 8),
    inventory,
    revision: opts.loaded.revision.sha,
    dryRun: opts.dryRun ?? false,
    policy: { allowed: allowedApps(opts), pruneCrds: opts.pruneCrds },
    concurrency: opts.concurrency ?? 8,
    wait,
    defaultNamespace: opts.defaultNamespace ?? 'default',
    claimedBy: claims(opts.loaded, opts.defaultNamespace ?? 'default'),
    hpaCache: new Map(),
    onWritten: opts.onWritten,
    decrypt: (m) => decryptor.decrypt(m),
    admission: {
      agentNamespace: inventory.namespace,
      ownApp: opts.ownApp,
      allowedServiceAccounts: opts.allowedServiceAccounts,
    },
    onDeleted: opts.onDeleted,
    signal: opts.signal,
  };
  const env = opts.loaded.env;
  // Independent first round trips at once: the inventory namespace and list, and the
  // discovery of every kind the revision uses (each app needs it to prepare).
  const apiVersions = new Set(
    opts.loaded.apps.flatMap((a) => a.objects.map((o) => `${o.manifest.apiVersion}|${o.manifest.kind}`)),
  );
  for (const k of apiVersions) {
    const [apiVersion, kind] = k.split('|');
    objects.isNamespaced(apiVersion, kind).catch(() => undefined); // a miss is reported by the app that has the kind
  }
  const [, stored] = await Promise.all([ctx.dryRun ? undefined : inventory.ensureNamespace(), inventory.list(env)]);
  // Another source's apps are invisible here; one it claims too is a conflict, not a prune.
  const claimed = new Set(opts.loaded.apps.map((a) => a.name));
  const { own: inventories, conflicts } = ownInventories(stored, source.name, claimed);
  const conflictOf = (app: string): SourceConflictError | undefined => {
    const other = opts.claimedElsewhere?.get(app);
    return (
      conflicts.get(app) ??
      (other && other !== source.name ? new SourceConflictError(app, env, { name: other }, source.name) : undefined)
    );
  };

  const results = new Map<string, AppResult>();
  const settle = (r: AppResult): void => {
    results.set(r.app, r);
    opts.progress?.done?.(r);
  };
  // Apps with a ServiceAccount are applied (and read) as that account, by impersonation.
  const contexts = new Map<string, ApplyContext>();
  const contextFor = (app: DesiredApp): ApplyContext => {
    let c = contexts.get(app.name);
    if (!c) {
      c = ctx;
      if (app.serviceAccount) {
        const as = new ObjectClient(opts.client.impersonating(app.serviceAccount), objects.discovery);
        c = { ...c, objects: as, live: new LiveState(as, opts.concurrency ?? 8), agentLive: ctx.live };
      }
      if (opts.suspended?.has(app.name)) c = { ...c, dryRun: true };
      contexts.set(app.name, c);
    }
    return c;
  };
  const requested = opts.onlyApps ? opts.loaded.apps.filter((a) => opts.onlyApps!.has(a.name)) : opts.loaded.apps;
  for (const a of requested) {
    const conflict = conflictOf(a.name);
    if (!conflict) continue;
    const c = new ChangeSet(a.name, env);
    c.fail({ kind: 'source-conflict', message: conflict.message, cause: conflict });
    settle(appResult(c, 0));
  }
  const selected = requested.filter((a) => !results.has(a.name));
  const { levels, cyclic } = dependencyLevels(selected);
  for (const a of cyclic) {
    const started = Date.now();
    const c = new ChangeSet(a.name, env);
    c.fail({ kind: 'dependency-cycle', message: cyclic.map((x) => x.name).join(', ') });
    settle(appResult(c, Date.now() - started));
  }

  const healthTargets: HealthTarget[] = [];
  for (const level of levels) {
    if (opts.signal?.aborted) break;
    const started = Date.now();
    opts.progress?.applying?.(level.map((a) => a.name));
    const runs = await settleLimit(
      level,
      opts.appConcurrency ?? 16,
      async (app): Promise<{ report: ChangeSet; prepared: PreparedObject[] }> => {
        const blocking = app.dependsOn.filter((d) => {
          if (opts.onlyApps && !opts.onlyApps.has(d) && opts.loaded.apps.some((a) => a.name === d)) return false;
          return !results.get(d)?.converged;
        });
        if (blocking.length > 0) {
          const reason = blocking
            .map((d) =>
              results.get(d)
                ? `${d} (${results.get(d)!.why || results.get(d)!.status})`
                : `${d} (not in this revision)`,
            )
            .join(', ');
          const c = new ChangeSet(app.name, env);
          c.fail({ kind: 'dependency-not-ready', message: reason });
          return { report: c, prepared: [] };
        }
        return applyApp(contextFor(app), app, inventories.get(app.name));
      },
    );
    const applied = runs.map((r, i) => {
      if (r.ok) return r.value;
      const c = new ChangeSet(
        level[i].name,
        env,
        level[i].objects.map((o) => o.manifest),
      );
      // Another source created the app's record first (a race the listing could not see).
      c.fail({
        kind: r.error instanceof SourceConflictError ? 'source-conflict' : 'internal',
        message: (r.error as Error).message,
        cause: r.error,
      });
      return { report: c, prepared: [] };
    });
    const toWatch = applied
      .filter((a) => a.report.status === 'Applied')
      .map((a) => ({ app: a.report.app, objects: a.prepared, live: contexts.get(a.report.app)?.live ?? ctx.live }));
    // Followed after the reconcile: Secrets have no health, and their values stay out of what is kept.
    healthTargets.push(
      ...toWatch.map((w) => ({
        ...w,
        objects: w.objects.filter((p) => !(p.manifest.kind === 'Secret' && p.manifest.apiVersion === 'v1')),
      })),
    );
    const waits = !(ctx.dryRun || toWatch.length === 0 || opts.waitForHealth === false);
    const watched = new Set(waits ? toWatch.map((w) => w.app) : []);
    // Apps with nothing to wait for are done now; the others as soon as none of their objects is Progressing.
    for (const a of applied) if (!watched.has(a.report.app)) settle(appResult(a.report, Date.now() - started));
    const onLook = opts.progress
      ? (looked: ReadonlyMap<string, readonly ObjectHealth[]>) => {
          // The apps not settled before this look: told first, then those it settles are done.
          const open = new Map([...looked].filter(([app]) => watched.has(app)));
          opts.progress?.waiting?.(open);
          for (const a of applied) {
            const h = open.get(a.report.app);
            if (!h || h.some((x) => x.health === 'Progressing')) continue;
            watched.delete(a.report.app);
            settle(appResult(a.report, Date.now() - started, summarize(h)));
          }
        }
      : undefined;
    const base = opts.health === 'once' ? { ...wait, timeoutMs: 0 } : wait;
    const health = waits ? await waitHealthy(toWatch, { ...base, onLook }) : new Map<string, ObjectHealth[]>();
    for (const a of applied) {
      if (!watched.has(a.report.app)) continue;
      const h = health.get(a.report.app);
      settle(appResult(a.report, Date.now() - started, h ? summarize(h) : undefined));
    }
  }

  // Apps that left the revision: prune them whole, only when allowed.
  for (const [name, inv] of opts.onlyApps ? [] : inventories) {
    if (opts.loaded.apps.some((a) => a.name === name)) continue;
    if (opts.signal?.aborted) break;
    const started = Date.now();
    const plan = planPrune(
      name,
      inv.objects.filter((r) => !ctx.claimedBy.has(identityKey(r))),
      [],
      ctx.policy,
      { wholeApp: true, converged: inv.converged },
    );
    const report = new ChangeSet(name, env);
    if (ctx.dryRun) report.status = 'Planned';
    for (const h of plan.held) report.record('held', h.ref, { reason: h.reason });
    if (ctx.dryRun) {
      for (const r of plan.prune) report.record('pruned', r, { note: 'would be pruned' });
    } else if (plan.prune.length > 0 || plan.held.length === 0) {
      const as = inv.serviceAccount
        ? new ObjectClient(opts.client.impersonating(inv.serviceAccount), objects.discovery)
        : objects;
      const outcomes = await executePrune(name, plan.prune, as, opts.signal);
      for (const o of outcomes) {
        if (o.result === 'deleted' || o.result === 'gone') opts.onDeleted?.(name, o.ref);
        if (o.result === 'deleted') report.record('pruned', o.ref);
        else if (o.result !== 'gone') report.record('kept', o.ref, { reason: o.detail });
      }
      // Candidates a stop left undeleted stay recorded, like the held ones.
      const reached = new Set(outcomes.map((o) => identityKey(o.ref)));
      const left = plan.prune.filter((r) => !reached.has(identityKey(r)));
      if (left.length > 0) report.fail({ kind: 'stopped', message: STOPPED_MESSAGE });
      const held = normalizeRefs([...plan.held.map((h) => h.ref), ...left]);
      if (held.length === 0) await inventory.remove(env, name);
      // Like an app in Git: its record is written only when what it records changed.
      else if (!sameRefs(inv.objects, held))
        await inventory.save({ ...inv, revision: opts.loaded.revision.sha, objects: held });
    }
    settle(appResult(report, Date.now() - started));
  }

  // Byte order: stable everywhere, and much cheaper than locale comparison for many apps.
  const apps = [...results.values()].sort((a, b) => (a.app < b.app ? -1 : a.app > b.app ? 1 : 0));
  return { revision: opts.loaded.revision.sha, env, apps, converged: apps.every((a) => a.converged), healthTargets };
}
