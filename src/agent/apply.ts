import { isDeepStrictEqual } from 'util';
import { Manifest, ObjectRef, describeObject, identityKey, refOf } from '../synth/manifest';
import { settleLimit } from './concurrency';
import { KubeApiError } from './errors';
import { Inventory, InventoryStore, normalizeRefs } from './inventory';
import { LiveState } from './live';
import { DesiredApp } from './load';
import { ObjectClient } from './objects';
import { isFoundation, stages } from './order';
import { PrunePolicy, executePrune, planPrune } from './prune';
import { PreparedObject, crdKinds, dropAutoscaledReplicas, hpaTargets, prepare } from './prepare';
import { WaitOptions, waitFoundation } from './wait';

/** What the agent did (or, with dry-run, would do) for one app. */
export interface AppReport {
  readonly app: string;
  readonly env: string;
  /** Applied: every object written or unchanged; Failed: see errors; Skipped: a dependency is not ready; Planned: dry-run. */
  status: 'Applied' | 'Failed' | 'Skipped' | 'Planned';
  readonly errors: string[];
  readonly created: string[];
  readonly configured: string[];
  readonly unchanged: string[];
  readonly pruned: string[];
  /** Prune candidates held back, each with the reason. */
  readonly held: string[];
  /** Prune candidates left alone: prune disabled, or now owned by someone else. */
  readonly kept: string[];
}

/** Everything applying an app needs. */
export interface ApplyContext {
  readonly objects: ObjectClient;
  readonly live: LiveState;
  readonly inventory: InventoryStore;
  readonly revision: string;
  readonly dryRun: boolean;
  readonly policy: PrunePolicy;
  readonly concurrency: number;
  readonly wait: WaitOptions;
  readonly defaultNamespace: string;
  /**
   * Which app of this revision claims each object (by identity key). An object that
   * moved to another app is not pruned by its old app, and leaves its inventory.
   */
  readonly claimedBy: ReadonlyMap<string, string>;
  /** Live HPAs by namespace, listed once per reconcile. */
  readonly hpaCache?: Map<string, Promise<Manifest[]>>;
}

type Change = 'created' | 'configured' | 'unchanged';

function apiMessage(e: unknown): string {
  return e instanceof KubeApiError ? `${e.message} (HTTP ${e.status} ${e.reason})` : e instanceof Error ? e.message : String(e);
}

function newReport(app: DesiredApp): AppReport {
  return { app: app.name, env: app.env, status: 'Applied', errors: [], created: [], configured: [], unchanged: [], pruned: [], held: [], kept: [] };
}

/** Compares a dry-run result with the live object: equal means applying would change nothing. */
function classify(dry: Manifest, live: Manifest | undefined): Change {
  if (!live) return dry.metadata.resourceVersion ? 'configured' : 'created';
  return isDeepStrictEqual(dry, live) ? 'unchanged' : 'configured';
}

/** Server-side dry-run of each object; resolves to the change each would make, or the errors. */
async function validate(ctx: ApplyContext, items: readonly PreparedObject[]): Promise<{ changes: Map<string, Change>; errors: string[] }> {
  const changes = new Map<string, Change>();
  const errors: string[] = [];
  const results = await settleLimit(items, ctx.concurrency, async (p) => {
    const dry = await ctx.objects.apply(p.manifest, true);
    let live = ctx.live.get(refOf(p.manifest));
    // Exists but not in our lists (not labelled yet, or we may not list its kind): read it.
    if (!live && dry.metadata.resourceVersion) live = await ctx.objects.get(refOf(p.manifest)).catch(() => undefined);
    return classify(dry, live);
  });
  results.forEach((r, i) => {
    const p = items[i];
    if (r.ok) changes.set(identityKey(refOf(p.manifest)), r.value);
    else errors.push(`${p.name} (${p.origin}): ${apiMessage(r.error)}`);
  });
  return { changes, errors };
}

/** Applies the changed objects of `items` stage by stage; stops at the first failing stage. */
async function write(ctx: ApplyContext, items: readonly PreparedObject[], changes: Map<string, Change>, report: AppReport): Promise<boolean> {
  for (const stage of stages(items)) {
    const todo = stage.filter((p) => changes.get(identityKey(refOf(p.manifest))) !== 'unchanged');
    for (const p of stage) if (changes.get(identityKey(refOf(p.manifest))) === 'unchanged') report.unchanged.push(p.name);
    const results = await settleLimit(todo, ctx.concurrency, (p) => ctx.objects.apply(p.manifest));
    let failed = false;
    results.forEach((r, i) => {
      const p = todo[i];
      if (r.ok) {
        ctx.live.set(refOf(p.manifest), r.value);
        (changes.get(identityKey(refOf(p.manifest))) === 'created' ? report.created : report.configured).push(p.name);
      } else {
        failed = true;
        report.errors.push(`${p.name} (${p.origin}): apply failed: ${apiMessage(r.error)}`);
      }
    });
    if (failed) return false;
  }
  return true;
}

/** Namespaces and CRD kinds of this app that do not exist yet: objects in or of them are validated later. */
async function deferUntilFoundation(ctx: ApplyContext, prepared: PreparedObject[]): Promise<PreparedObject[]> {
  const missingNamespaces = new Set<string>();
  for (const p of prepared) {
    if (p.manifest.kind === 'Namespace' && p.manifest.apiVersion === 'v1' && !(await ctx.objects.get(refOf(p.manifest)))) missingNamespaces.add(p.manifest.metadata.name);
  }
  return prepared.map((p) => (!p.deferred && !isFoundation(p.manifest) && p.manifest.metadata.namespace && missingNamespaces.has(p.manifest.metadata.namespace)
    ? { ...p, deferred: `Namespace ${p.manifest.metadata.namespace}` }
    : p));
}

/** HPA targets among the app's desired objects and the live HPAs of its namespaces. */
async function autoscaled(ctx: ApplyContext, prepared: readonly PreparedObject[]): Promise<Set<string>> {
  const desired = prepared.filter((p) => p.manifest.kind === 'HorizontalPodAutoscaler').map((p) => p.manifest);
  const namespaces = new Set(prepared.filter((p) => ['Deployment', 'StatefulSet', 'ReplicaSet'].includes(p.manifest.kind) && !p.deferred).map((p) => p.manifest.metadata.namespace!));
  const live: Manifest[] = [];
  for (const ns of namespaces) {
    let p = ctx.hpaCache?.get(ns);
    if (!p) {
      p = ctx.objects.list('autoscaling/v2', 'HorizontalPodAutoscaler', ns, '').catch((e: unknown) => {
        if (e instanceof KubeApiError && (e.status === 404 || e.status === 403)) return [];
        throw e;
      });
      ctx.hpaCache?.set(ns, p);
    }
    live.push(...await p);
  }
  return hpaTargets([...desired, ...live]);
}

/**
 * Reconciles one app: prepare, validate every object by server-side dry-run (nothing
 * is written if any fails), apply the changed ones in stages (CRDs and Namespaces
 * first, then kind order), record the inventory, and prune what left Git within the
 * guards. Resolves to the report and the objects to watch for health.
 */
export async function applyApp(ctx: ApplyContext, app: DesiredApp, previous: Inventory | undefined): Promise<{ report: AppReport; prepared: PreparedObject[] }> {
  const report = newReport(app);
  const revisionCrds = crdKinds(app.objects.map((o) => o.manifest));
  const { objects: preparedRaw, problems } = await prepare(app, ctx.objects, ctx.defaultNamespace, revisionCrds);
  if (problems.length > 0) {
    report.status = 'Failed';
    report.errors.push(...problems);
    return { report, prepared: [] };
  }
  let prepared = await deferUntilFoundation(ctx, preparedRaw);
  prepared = dropAutoscaledReplicas(prepared, await autoscaled(ctx, prepared));

  await ctx.live.refresh(prepared.filter((p) => !p.deferred).map((p) => refOf(p.manifest)));
  const first = await validate(ctx, prepared.filter((p) => !p.deferred));
  if (first.errors.length > 0) {
    report.status = 'Failed';
    report.errors.push(...first.errors.map((e) => `validation failed, nothing of this app was written: ${e}`));
    return { report, prepared: [] };
  }

  const desiredRefs: ObjectRef[] = prepared.map((p) => refOf(p.manifest));
  const stillOurs = (previous?.objects ?? []).filter((r) => (ctx.claimedBy.get(identityKey(r)) ?? app.name) === app.name);
  const plan = planPrune(app.name, stillOurs, desiredRefs, ctx.policy);
  for (const h of plan.held) report.held.push(`${describeObject(h.ref)}: ${h.reason}`);

  if (ctx.dryRun) {
    report.status = 'Planned';
    for (const p of prepared) {
      const c = p.deferred ? 'created' : first.changes.get(identityKey(refOf(p.manifest)))!;
      report[c].push(p.deferred ? `${p.name} (validated once ${p.deferred} exists)` : p.name);
    }
    report.pruned.push(...plan.prune.map((r) => `${describeObject(r)} (would be pruned)`));
    return { report, prepared };
  }

  // Record what we are about to own before writing, so a crash cannot orphan objects
  // (only when there is something new to own).
  const known = new Set((previous?.objects ?? []).map(identityKey));
  if (!previous || desiredRefs.some((r) => !known.has(identityKey(r)))) await ctx.inventory.save({
    app: app.name, env: app.env, serviceAccount: app.serviceAccount,
    lastAppliedRevision: previous?.lastAppliedRevision, lastAttemptedRevision: ctx.revision,
    objects: normalizeRefs([...stillOurs, ...desiredRefs]),
  });

  const foundation = prepared.filter((p) => isFoundation(p.manifest));
  const changes = first.changes;
  if (!(await write(ctx, foundation, changes, report))) return fail(report, prepared);
  const notReady = await waitFoundation(foundation, ctx.objects, ctx.wait);
  if (notReady.length > 0) {
    report.errors.push(`not ready in time: ${notReady.join(', ')}`);
    return fail(report, prepared);
  }

  const deferred = prepared.filter((p) => p.deferred);
  if (deferred.length > 0) {
    if (foundation.some((p) => p.manifest.kind === 'CustomResourceDefinition')) ctx.objects.discovery.reset();
    await ctx.live.refresh(deferred.map((p) => refOf(p.manifest)));
    const second = await validate(ctx, deferred);
    if (second.errors.length > 0) {
      report.errors.push(...second.errors.map((e) => `validation failed after its CRD/Namespace was applied; the rest of the app was not written: ${e}`));
      return fail(report, prepared);
    }
    for (const [k, v] of second.changes) changes.set(k, v);
  }

  const rest = prepared.filter((p) => !isFoundation(p.manifest));
  if (!(await write(ctx, rest, changes, report))) return fail(report, prepared);

  const outcomes = await executePrune(app.name, plan.prune, ctx.objects);
  for (const o of outcomes) {
    if (o.result === 'deleted') report.pruned.push(describeObject(o.ref));
    else if (o.result === 'kept-disabled' || o.result === 'kept-foreign') report.kept.push(`${describeObject(o.ref)}: ${o.detail}`);
  }
  const final = normalizeRefs([...desiredRefs, ...plan.held.map((h) => h.ref)]);
  const same = previous && previous.lastAppliedRevision === ctx.revision && previous.lastAttemptedRevision === ctx.revision
    && previous.serviceAccount === app.serviceAccount && JSON.stringify(normalizeRefs(previous.objects)) === JSON.stringify(final);
  if (!same) {
    await ctx.inventory.save({
      app: app.name, env: app.env, serviceAccount: app.serviceAccount, lastAppliedRevision: ctx.revision, lastAttemptedRevision: ctx.revision, objects: final,
    });
  }
  return { report, prepared };
}

function fail(report: AppReport, prepared: PreparedObject[]): { report: AppReport; prepared: PreparedObject[] } {
  report.status = 'Failed';
  return { report, prepared };
}
