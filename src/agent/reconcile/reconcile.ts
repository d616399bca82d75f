import { AppReport, ApplyContext, applyApp } from '../apply/apply-app';
import { settleLimit } from '../../model/concurrency';
import { Discovery } from '../../kube/discovery';
import { Health, ObjectHealth, summarize } from '../apply/health';
import { Inventory, InventoryStore, normalizeRefs, sameRefs } from '../state/inventory';
import { KubeClient } from '../../kube/client';
import { LiveState } from '../../kube/live';
import { DesiredApp, LoadedRevision } from '../source/load';
import { ObjectClient } from '../../kube/objects';
import { planPrune } from '../plan/prune';
import { executePrune } from '../apply/prune';
import { PreparedObject } from '../plan/prepare';
import { WaitOptions, waitHealthy } from '../apply/wait';
import { Manifest, describeObject, identityKey, refOf } from '../../model/manifest';

/** Options of {@link reconcile}. */
export interface ReconcileOptions {
  readonly client: KubeClient;
  readonly loaded: LoadedRevision;
  /** Commit sha of the revision. */
  readonly revision: string;
  /** Commit trailers; `Allow-Prune: app[, app]` lifts the prune guards for those apps. */
  readonly trailers?: Readonly<Record<string, readonly string[]>>;
  /** Print the plan, write nothing. @default false */
  readonly dryRun?: boolean;
  /** Apps allowed past the prune guards (`*` for all). @default none */
  readonly allowPrune?: readonly string[];
  /** Prune CRDs that left Git. @default false */
  readonly pruneCrds?: boolean;
  /** Namespace of the inventory ConfigMaps. @default 'synthops-system' */
  readonly inventoryNamespace?: string;
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
  /** Reconcile only these apps (drift repair, retries); apps that left Git are then not pruned. @default - all */
  readonly onlyApps?: ReadonlySet<string>;
  /** Apps whose writes are suspended: they are planned (drift reported) but nothing is written. */
  readonly suspended?: ReadonlySet<string>;
  /** Told of every object written, with the server's answer. */
  readonly onWritten?: (app: string, written: Manifest) => void;
}

/** The outcome for one app: its change set and health. */
export interface AppResult extends AppReport {
  /** Health after applying (absent when nothing was applied). */
  readonly health?: Health;
  readonly healthMessage?: string;
  readonly unhealthy: readonly ObjectHealth[];
  /** Why the app is not converged, in one line (empty when it is). */
  readonly why: string;
  readonly durationMs: number;
}

/** The outcome of one reconcile. */
export interface ReconcileResult {
  readonly revision: string;
  readonly env: string;
  readonly apps: readonly AppResult[];
  /** Every app applied and healthy, nothing held. */
  readonly converged: boolean;
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

function why(r: AppReport, health?: { health: Health; message: string }): string {
  if (r.status === 'Failed' || r.status === 'Skipped') return r.errors[0] ?? r.status;
  if (r.held.length > 0) return `prune held: ${r.held[0]}`;
  if (health && health.health !== 'Healthy') return `${health.health}: ${health.message}`;
  return '';
}

function finish(r: AppReport, started: number, health?: ReturnType<typeof summarize>): AppResult {
  return {
    ...r,
    health: health?.health,
    healthMessage: health?.message,
    unhealthy: health?.unhealthy ?? [],
    why: r.status === 'Planned' ? '' : why(r, health),
    durationMs: Date.now() - started,
  };
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
  const fromTrailers = (opts.trailers?.['Allow-Prune'] ?? []).flatMap((v) => v.split(',')).map((s) => s.trim()).filter(Boolean);
  return new Set([...(opts.allowPrune ?? []), ...fromTrailers]);
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
  const inventory = new InventoryStore(opts.client, opts.inventoryNamespace ?? 'synthops-system');
  const wait: WaitOptions = { timeoutMs: opts.wait?.timeoutMs ?? 120_000, pollMs: opts.wait?.pollMs ?? 1000 };
  const ctx: ApplyContext = {
    objects,
    live: new LiveState(objects, opts.concurrency ?? 8),
    inventory,
    revision: opts.revision,
    dryRun: opts.dryRun ?? false,
    policy: { allowed: allowedApps(opts), pruneCrds: opts.pruneCrds },
    concurrency: opts.concurrency ?? 8,
    wait,
    defaultNamespace: opts.defaultNamespace ?? 'default',
    claimedBy: claims(opts.loaded, opts.defaultNamespace ?? 'default'),
    hpaCache: new Map(),
    onWritten: opts.onWritten,
  };
  const env = opts.loaded.env;
  // Independent first round trips at once: the inventory namespace and list, and the
  // discovery of every kind the revision uses (each app needs it to prepare).
  const apiVersions = new Set(opts.loaded.apps.flatMap((a) => a.objects.map((o) => `${o.manifest.apiVersion}|${o.manifest.kind}`)));
  for (const k of apiVersions) {
    const [apiVersion, kind] = k.split('|');
    objects.isNamespaced(apiVersion, kind).catch(() => undefined); // a miss is reported by the app that has the kind
  }
  const [, stored] = await Promise.all([ctx.dryRun ? undefined : inventory.ensureNamespace(), inventory.list(env)]);
  const inventories = new Map<string, Inventory>(stored.map((i) => [i.app, i]));

  const results = new Map<string, AppResult>();
  // Apps with a ServiceAccount are applied (and read) as that account, by impersonation.
  const contexts = new Map<string, ApplyContext>();
  const contextFor = (app: DesiredApp): ApplyContext => {
    let c = contexts.get(app.name);
    if (!c) {
      c = ctx;
      if (app.serviceAccount) {
        const as = new ObjectClient(opts.client.impersonating(app.serviceAccount), objects.discovery);
        c = { ...c, objects: as, live: new LiveState(as, opts.concurrency ?? 8) };
      }
      if (opts.suspended?.has(app.name)) c = { ...c, dryRun: true };
      contexts.set(app.name, c);
    }
    return c;
  };
  const selected = opts.onlyApps ? opts.loaded.apps.filter((a) => opts.onlyApps!.has(a.name)) : opts.loaded.apps;
  const { levels, cyclic } = dependencyLevels(selected);
  for (const a of cyclic) {
    const started = Date.now();
    results.set(a.name, finish({ app: a.name, env, status: 'Failed', errors: [`dependency cycle among ${cyclic.map((c) => c.name).join(', ')}`], created: [], configured: [], unchanged: [], pruned: [], held: [], kept: [] }, started));
  }

  for (const level of levels) {
    const started = Date.now();
    const runs = await settleLimit(level, opts.appConcurrency ?? 16, async (app): Promise<{ report: AppReport; prepared: PreparedObject[] }> => {
      const blocking = app.dependsOn.filter((d) => {
        if (opts.onlyApps && !opts.onlyApps.has(d) && opts.loaded.apps.some((a) => a.name === d)) return false;
        const r = results.get(d);
        return !r || r.why !== '' || (r.status !== 'Applied' && r.status !== 'Planned');
      });
      if (blocking.length > 0) {
        const reason = blocking.map((d) => (results.get(d) ? `${d} (${results.get(d)!.why || results.get(d)!.status})` : `${d} (not in this revision)`)).join(', ');
        return { report: { app: app.name, env, status: 'Skipped', errors: [`DependencyNotReady: waits for ${reason}`], created: [], configured: [], unchanged: [], pruned: [], held: [], kept: [] }, prepared: [] };
      }
      return applyApp(contextFor(app), app, inventories.get(app.name));
    });
    const applied = runs.map((r, i) => (r.ok ? r.value : {
      report: { app: level[i].name, env, status: 'Failed' as const, errors: [`reconcile failed: ${(r.error as Error).message}`], created: [], configured: [], unchanged: [], pruned: [], held: [], kept: [] },
      prepared: [],
    }));
    const toWatch = applied.filter((a) => a.report.status === 'Applied').map((a) => ({ app: a.report.app, objects: a.prepared, live: contexts.get(a.report.app)?.live ?? ctx.live }));
    const health = ctx.dryRun || toWatch.length === 0 || opts.waitForHealth === false ? new Map<string, ObjectHealth[]>() : await waitHealthy(toWatch, wait);
    for (const a of applied) {
      const h = health.get(a.report.app);
      results.set(a.report.app, finish(a.report, started, h ? summarize(h) : undefined));
    }
  }

  // Apps that left the revision: prune them whole, only when allowed.
  for (const [name, inv] of opts.onlyApps ? [] : inventories) {
    if (opts.loaded.apps.some((a) => a.name === name)) continue;
    const started = Date.now();
    const plan = planPrune(name, inv.objects.filter((r) => !ctx.claimedBy.has(identityKey(r))), [], ctx.policy, true);
    const report: AppReport = { app: name, env, status: ctx.dryRun ? 'Planned' : 'Applied', errors: [], created: [], configured: [], unchanged: [], pruned: [], held: plan.held.map((h) => `${describeObject(h.ref)}: ${h.reason}`), kept: [] };
    if (ctx.dryRun) {
      report.pruned.push(...plan.prune.map((r) => `${describeObject(r)} (would be pruned)`));
    } else if (plan.prune.length > 0 || plan.held.length === 0) {
      const as = inv.serviceAccount ? new ObjectClient(opts.client.impersonating(inv.serviceAccount), objects.discovery) : objects;
      for (const o of await executePrune(name, plan.prune, as)) {
        if (o.result === 'deleted') report.pruned.push(describeObject(o.ref));
        else if (o.result !== 'gone') report.kept.push(`${describeObject(o.ref)}: ${o.detail}`);
      }
      const held = normalizeRefs(plan.held.map((h) => h.ref));
      if (held.length === 0) await inventory.remove(env, name);
      // Like an app in Git: its record is written only when what it records changed.
      else if (!sameRefs(inv.objects, held)) await inventory.save({ ...inv, revision: opts.revision, objects: held });
    }
    results.set(name, finish(report, started));
  }

  // Byte order: stable everywhere, and much cheaper than locale comparison for many apps.
  const apps = [...results.values()].sort((a, b) => (a.app < b.app ? -1 : a.app > b.app ? 1 : 0));
  const converged = apps.every((a) => a.why === '' && (a.status === 'Applied' || a.status === 'Planned'));
  return { revision: opts.revision, env, apps, converged };
}
