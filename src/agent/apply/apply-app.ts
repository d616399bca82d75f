import { isDeepStrictEqual } from 'util';
import { Manifest, ObjectRef, identityKey, isCrd, isNamespace, refOf } from '../../model/manifest';
import { settleLimit } from '../../model/concurrency';
import { isForbidden, isNotFound } from '../../kube/errors';
import { ChangeSet } from './change-set';
import { decryptApp } from './decrypt';
import { Inventory, InventoryStore, normalizeRefs, sameRefs } from '../state/inventory';
import { DeniedRead, LiveState, lean } from '../../kube/live';
import { DesiredApp } from '../source/load';
import { ObjectClient } from '../../kube/objects';
import { isFoundation, stages } from '../plan/order';
import { PrunePolicy, awaitsApproval, planPrune } from '../plan/prune';
import { executePrune } from './prune';
import { PreparedObject, crdKinds, dropAutoscaledReplicas, hpaTargets, prepare } from '../plan/prepare';
import { inSync, withDigest } from '../plan/in-sync';
import { WaitOptions, waitFoundation } from './wait';
import { applyOrRecreate, forceEnabled, refusalMessage } from './recreate';
import { immutableFields } from '../../kube/errors';
import { AdmissionPolicy, reservedNamespaceProblems, serviceAccountProblems } from '../plan/admission';
import { Ungranted, describeUngranted, ungrantable } from './escalation';

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
  /** Live HPAs by namespace, listed once per reconcile. @default - none: each app lists the HPAs itself */
  readonly hpaCache?: Map<string, Promise<Manifest[]>>;
  /** Told of every object written, with the server's answer (the drift watch expects it). @default - none */
  readonly onWritten?: (app: string, written: Manifest) => void;
  /** Decrypts SOPS documents before anything else looks at them. @default - none: encrypted objects fail their app */
  readonly decrypt?: (m: Manifest) => Promise<Manifest>;
  /** What the running agent admits: its reserved namespace, the ServiceAccounts it may act as. @default - no checks beyond RBAC's */
  readonly admission?: AdmissionPolicy;
  /**
   * The agent's own view, when the app is read and written as its ServiceAccount: the
   * drift watch reads as the agent, so both must be able to read the app's objects.
   * @default - none: `live` is the agent's own view
   */
  readonly agentLive?: LiveState;
  /** Told of every object pruned (the drift watch stops guarding it). @default - none */
  readonly onDeleted?: (app: string, ref: ObjectRef) => void;
  /** Once fired, no further write starts (shutdown, lost leadership). @default - none: the app is written to the end */
  readonly signal?: AbortSignal;
}

/** The problem recorded when the agent stops between writes. */
export const STOPPED_MESSAGE =
  'stopped before the app was written to the end: the agent is shutting down or lost its lease';

export type Change = 'created' | 'configured' | 'unchanged';

/** An object the server refused, with its words. */
interface Refusal {
  readonly ref: ObjectRef;
  readonly origin: string;
  readonly message: string;
  readonly cause: unknown;
}

/**
 * Compares a dry-run result with the live object: equal means applying would change
 * nothing but, at most, field ownership (a field synthops shares with another manager
 * at the same value is not worth a write; if that manager later changes or drops it,
 * the value check sees the drift).
 */
export function classify(dry: Manifest, live: Manifest | undefined): Change {
  if (!live) return dry.metadata.resourceVersion ? 'configured' : 'created';
  return isDeepStrictEqual(lean(dry), lean(live)) ? 'unchanged' : 'configured';
}

/**
 * Server-side dry-run of each object that may change; resolves to the change each
 * would make, or the errors. Objects whose live state shows the same digest and every
 * desired value are unchanged without a request: nothing would be written for them
 * (`synced`: those the caller has already found in sync).
 */
async function validate(
  ctx: ApplyContext,
  items: readonly PreparedObject[],
  synced?: ReadonlySet<PreparedObject>,
): Promise<{ changes: Map<string, Change>; errors: Refusal[] }> {
  const changes = new Map<string, Change>();
  const errors: Refusal[] = [];
  const results = await settleLimit(items, ctx.concurrency, async (p) => {
    let live = ctx.live.get(refOf(p.manifest));
    if (synced ? synced.has(p) : inSync(p.manifest, live)) return 'unchanged' as const;
    const dry = await ctx.objects.apply(p.manifest, true).catch(async (e: unknown) => {
      // Immutable fields changed on an object that asks to be recreated: valid if it
      // would be accepted as a new object; it is deleted and created when written.
      if (!forceEnabled(p.manifest) || immutableFields(e).length === 0) throw e;
      await ctx.objects.validateAsNew(p.manifest);
      return undefined;
    });
    if (!dry) return 'configured' as const;
    // Exists but not in our lists (not labelled yet, or we may not list its kind): read it.
    if (!live && dry.metadata.resourceVersion) live = await ctx.objects.get(refOf(p.manifest)).catch(() => undefined);
    return classify(dry, live);
  });
  results.forEach((r, i) => {
    const p = items[i];
    if (r.ok) changes.set(identityKey(refOf(p.manifest)), r.value);
    else
      errors.push({
        ref: refOf(p.manifest),
        origin: p.origin,
        message: refusalMessage(r.error, p.manifest),
        cause: r.error,
      });
  });
  return { changes, errors };
}

/**
 * Applies the changed objects of `items` stage by stage; stops at the first failing
 * stage. The probe (if in `items`) is written first and alone: it was not dry-run, so
 * its write is its validation, and nothing else is written if it fails.
 */
async function write(
  ctx: ApplyContext,
  items: readonly PreparedObject[],
  changes: Map<string, Change>,
  report: ChangeSet,
  written: Set<string>,
  probe?: PreparedObject,
): Promise<boolean> {
  const keyOf = (p: PreparedObject) => identityKey(refOf(p.manifest));
  for (const stage of stages(items)) {
    for (const p of stage)
      if (changes.get(keyOf(p)) === 'unchanged') report.record('unchanged', refOf(p.manifest), { origin: p.origin });
    const todo = stage.filter((p) => changes.get(keyOf(p)) !== 'unchanged');
    const batches = probe && todo.includes(probe) ? [[probe], todo.filter((p) => p !== probe)] : [todo];
    for (const batch of batches) {
      if (batch.length > 0 && ctx.signal?.aborted) {
        report.fail({ kind: 'stopped', message: STOPPED_MESSAGE });
        return false;
      }
      const results = await settleLimit(batch, ctx.concurrency, (p) =>
        applyOrRecreate(ctx.objects, p.manifest, ctx.wait),
      );
      let failed = false;
      results.forEach((r, i) => {
        const p = batch[i];
        if (r.ok) {
          const before = ctx.live.get(refOf(p.manifest));
          ctx.live.set(refOf(p.manifest), r.value.object);
          written.add(keyOf(p));
          ctx.onWritten?.(report.app, r.value.object);
          // The probe's change is known only from its answer.
          const change = r.value.recreated
            ? 'configured'
            : p === probe
              ? r.value.created
                ? 'created'
                : before && before.metadata.resourceVersion === r.value.object.metadata.resourceVersion
                  ? 'unchanged'
                  : 'configured'
              : changes.get(keyOf(p));
          report.record(change ?? 'configured', refOf(p.manifest), {
            origin: p.origin,
            ...(r.value.recreated ? { recreated: true, note: 'deleted and recreated: immutable fields changed' } : {}),
          });
        } else {
          failed = true;
          report.fail({
            kind: p === probe ? 'validation' : 'apply',
            ref: refOf(p.manifest),
            origin: p.origin,
            message: refusalMessage(r.error, p.manifest),
            cause: r.error,
          });
        }
      });
      if (failed) return false;
    }
  }
  return true;
}

/**
 * The object that goes first among those that will be written (not in sync, not
 * deferred): it is not dry-run, its own write validates it. A dry-run plan has none.
 */
function firstWrite(
  ctx: ApplyContext,
  prepared: readonly PreparedObject[],
  synced: ReadonlySet<PreparedObject>,
): PreparedObject | undefined {
  if (ctx.dryRun) return undefined;
  const order = [
    ...stages(prepared.filter((p) => isFoundation(p.manifest))),
    ...stages(prepared.filter((p) => !isFoundation(p.manifest))),
  ].flat();
  const first = order.find((p) => !synced.has(p));
  // Only where the lists tell whether it exists: its answer then says what it changed.
  return first && !first.deferred && ctx.live.listedAll(refOf(first.manifest)) ? first : undefined;
}

/** Namespaces and CRD kinds of this app that do not exist yet: objects in or of them are validated later. */
async function deferUntilFoundation(ctx: ApplyContext, prepared: PreparedObject[]): Promise<PreparedObject[]> {
  const missingNamespaces = new Set<string>();
  for (const p of prepared) {
    if (isNamespace(p.manifest) && !(await ctx.objects.get(refOf(p.manifest))))
      missingNamespaces.add(p.manifest.metadata.name);
  }
  return prepared.map((p) =>
    !p.deferred &&
    !isFoundation(p.manifest) &&
    p.manifest.metadata.namespace &&
    missingNamespaces.has(p.manifest.metadata.namespace)
      ? { ...p, deferred: `Namespace ${p.manifest.metadata.namespace}` }
      : p,
  );
}

/** HPA targets among the app's desired objects and the live HPAs of its namespaces. */
async function autoscaled(ctx: ApplyContext, prepared: readonly PreparedObject[]): Promise<Set<string>> {
  const desired = prepared.filter((p) => p.manifest.kind === 'HorizontalPodAutoscaler').map((p) => p.manifest);
  const namespaces = new Set(
    prepared
      .filter((p) => ['Deployment', 'StatefulSet', 'ReplicaSet'].includes(p.manifest.kind) && !p.deferred)
      .map((p) => p.manifest.metadata.namespace!),
  );
  const live: Manifest[] = [];
  for (const ns of namespaces) {
    let p = ctx.hpaCache?.get(ns);
    if (!p) {
      p = ctx.objects.list('autoscaling/v2', 'HorizontalPodAutoscaler', ns, '').catch((e: unknown) => {
        if (isNotFound(e) || isForbidden(e)) return [];
        throw e;
      });
      ctx.hpaCache?.set(ns, p);
    }
    live.push(...(await p));
  }
  return hpaTargets([...desired, ...live]);
}

/**
 * Reconciles one app: prepare, validate every object by server-side dry-run (nothing
 * is written if any fails), apply the changed ones in stages (CRDs and Namespaces
 * first, then kind order), record the inventory, and prune what left Git within the
 * guards. Resolves to the report and the objects to watch for health.
 */
export async function applyApp(
  ctx: ApplyContext,
  app: DesiredApp,
  previous: Inventory | undefined,
): Promise<{ report: ChangeSet; prepared: PreparedObject[] }> {
  // SOPS documents are decrypted first, in memory, and the report is made from the
  // plaintext objects (it keeps their Secret values out of its messages). One that
  // cannot be decrypted fails the app before any request.
  const decrypted = await decryptApp(app, ctx.decrypt);
  app = decrypted.app;
  const report = new ChangeSet(
    app.name,
    app.env,
    app.objects.map((o) => o.manifest),
  );
  // Refusals first: nothing is read or written as an account the agent may not act as.
  const refused = ctx.admission ? serviceAccountProblems(app.serviceAccount, ctx.admission) : [];
  if (refused.length > 0) {
    for (const p of refused) report.fail(p);
    return { report, prepared: [] };
  }
  if (decrypted.problems.length > 0) {
    for (const p of decrypted.problems) report.fail({ kind: 'decryption', ...p });
    return { report, prepared: [] };
  }
  const revisionCrds = crdKinds(app.objects.map((o) => o.manifest));
  const { objects: preparedRaw, problems } = await prepare(app, ctx.objects, ctx.defaultNamespace, revisionCrds);
  if (problems.length > 0) {
    for (const p of problems) report.fail({ kind: 'invalid-object', ...p });
    return { report, prepared: [] };
  }
  const reserved = ctx.admission ? reservedNamespaceProblems(app.name, preparedRaw, ctx.admission) : [];
  if (reserved.length > 0) {
    for (const p of reserved) report.fail(p);
    return { report, prepared: [] };
  }
  let prepared = await deferUntilFoundation(ctx, preparedRaw);
  prepared = dropAutoscaledReplicas(prepared, await autoscaled(ctx, prepared)).map((p) => ({
    ...p,
    manifest: withDigest(p.manifest, p.digest),
  }));

  const currentRefs = prepared.filter((p) => !p.deferred).map((p) => refOf(p.manifest));
  await Promise.all([ctx.live.refresh(currentRefs), ctx.agentLive?.refresh(currentRefs)]);
  const current = prepared.filter((p) => !p.deferred);
  // An admission policy may quote the old object: its values are as secret as the new.
  report.knowSecrets(current.map((p) => ctx.live.get(refOf(p.manifest))));
  // Decided once per object: the first write and the validation both need it. An object
  // whose list was refused is not known to be in sync.
  const synced = new Set(current.filter((p) => inSync(p.manifest, ctx.live.get(refOf(p.manifest)))));
  // Roles and bindings that would widen their writer's rights: Kubernetes refuses them;
  // say why, before any write. First: a refused read is often the same lack.
  const ungranted = await ungrantable(
    ctx.objects.client,
    prepared.filter((p) => p.deferred || !synced.has(p)),
    prepared,
    ctx.concurrency,
  );
  if (ungranted.length > 0) {
    for (const u of ungranted)
      report.fail({ kind: 'needs-bootstrap', ref: u.ref, origin: u.origin, message: ungrantedMessage(ctx, u) });
    return { report, prepared: [] };
  }
  // A refused list says nothing about the objects: never take them for absent.
  const denied = [...ctx.live.deniedFor(currentRefs), ...(ctx.agentLive?.deniedFor(currentRefs) ?? [])];
  if (denied.length > 0) {
    for (const d of denied) report.fail({ kind: 'read-forbidden', message: deniedMessage(d) });
    return { report, prepared: [] };
  }
  const probe = firstWrite(ctx, prepared, synced);
  const first = await validate(
    ctx,
    current.filter((p) => p !== probe),
    synced,
  );
  if (first.errors.length > 0) {
    // Name every invalid object at once: the probe is dry-run too on this path.
    if (probe) first.errors.push(...(await validate(ctx, [probe])).errors);
    for (const e of first.errors) report.fail({ kind: 'validation', ...e });
    return { report, prepared: [] };
  }

  const desiredRefs: ObjectRef[] = prepared.map((p) => refOf(p.manifest));
  const stillOurs = (previous?.objects ?? []).filter(
    (r) => (ctx.claimedBy.get(identityKey(r)) ?? app.name) === app.name,
  );
  const plan = planPrune(app.name, stillOurs, desiredRefs, ctx.policy, { converged: previous?.converged });
  for (const h of plan.held) report.record('held', h.ref, { reason: h.reason });

  if (ctx.dryRun) {
    report.status = 'Planned';
    for (const p of prepared) {
      const c = p.deferred ? 'created' : first.changes.get(identityKey(refOf(p.manifest)))!;
      report.record(c, refOf(p.manifest), {
        origin: p.origin,
        note: p.deferred ? `validated once ${p.deferred} exists` : undefined,
      });
    }
    for (const r of plan.prune) report.record('pruned', r, { note: 'would be pruned' });
    return { report, prepared };
  }

  // Record what we are about to own before writing, so a crash cannot orphan objects
  // (only when there is something new to own).
  const known = new Set((previous?.objects ?? []).map(identityKey));
  const written = new Set<string>();
  // The set the guards compare with from now on: the desired one once this reconcile
  // converges; while a prune awaits approval, the set from before the hold (so the
  // hold stays held). Recorded before the writes too, so a reconcile that converges
  // writes the record once; a failed one puts the previous set back (`trim`).
  const before = previous ? normalizeRefs(plan.base) : undefined;
  const converged = awaitsApproval(plan) ? before : normalizeRefs(desiredRefs);
  let stored = previous;
  if (!previous || desiredRefs.some((r) => !known.has(identityKey(r)))) {
    stored = await ctx.inventory.save({
      app: app.name,
      env: app.env,
      serviceAccount: app.serviceAccount,
      revision: ctx.revision,
      objects: normalizeRefs([...stillOurs, ...desiredRefs]),
      converged,
    });
  }
  // After a failed write: the record keeps what it had and what was written, not
  // objects that were never created (they would look like prunes to hold later),
  // and the converged set it had.
  const trim = async (): Promise<void> => {
    if (stored === previous) return;
    const keep = normalizeRefs([...stillOurs, ...desiredRefs.filter((r) => written.has(identityKey(r)))]);
    if (sameRefs(keep, stored!.objects) && sameSet(stored!.converged, before)) return;
    if (keep.length === 0 && !previous) await ctx.inventory.remove(app.env, app.name);
    else await ctx.inventory.save({ ...stored!, objects: keep, converged: before });
  };

  const foundation = prepared.filter((p) => isFoundation(p.manifest));
  const changes = first.changes;
  if (!(await write(ctx, foundation, changes, report, written, probe))) return fail(report, prepared, trim);
  const notReady = await waitFoundation(foundation, ctx.objects, ctx.wait);
  if (notReady.length > 0) {
    report.fail({ kind: 'foundation-not-ready', message: notReady.join(', ') });
    return fail(report, prepared, trim);
  }

  const deferred = prepared.filter((p) => p.deferred);
  if (deferred.length > 0) {
    if (foundation.some((p) => isCrd(p.manifest))) ctx.objects.discovery.reset();
    await ctx.live.refresh(deferred.map((p) => refOf(p.manifest)));
    const second = await validate(ctx, deferred);
    if (second.errors.length > 0) {
      for (const e of second.errors) report.fail({ kind: 'validation-after-foundation', ...e });
      return fail(report, prepared, trim);
    }
    for (const [k, v] of second.changes) changes.set(k, v);
  }

  const rest = prepared.filter((p) => !isFoundation(p.manifest));
  if (!(await write(ctx, rest, changes, report, written, probe))) return fail(report, prepared, trim);

  const outcomes = await executePrune(app.name, plan.prune, ctx.objects, ctx.signal);
  for (const o of outcomes) {
    if (o.result === 'deleted' || o.result === 'gone') ctx.onDeleted?.(app.name, o.ref);
    if (o.result === 'deleted') report.record('pruned', o.ref);
    else if (o.result === 'kept-disabled' || o.result === 'kept-foreign' || o.result === 'kept-forbidden')
      report.record('kept', o.ref, { reason: o.detail });
  }
  // Candidates a stop left undeleted stay recorded: the next reconcile prunes them.
  const reached = new Set(outcomes.map((o) => identityKey(o.ref)));
  const left = plan.prune.filter((r) => !reached.has(identityKey(r)));
  if (left.length > 0) report.fail({ kind: 'stopped', message: STOPPED_MESSAGE });
  const final = normalizeRefs([...desiredRefs, ...plan.held.map((h) => h.ref), ...left]);
  // Written only when what it records changed: a new commit that leaves an app's
  // objects alone costs that app no write.
  const same =
    stored &&
    stored.serviceAccount === app.serviceAccount &&
    sameRefs(stored.objects, final) &&
    sameSet(stored.converged, converged) &&
    ctx.inventory.isCurrent(stored);
  if (!same)
    await ctx.inventory.save({
      app: app.name,
      env: app.env,
      serviceAccount: app.serviceAccount,
      revision: ctx.revision,
      objects: final,
      converged,
    });
  return { report, prepared };
}

/** The missing permission of a refused list, named: who, verb, resource, namespace. */
function deniedMessage(d: DeniedRead): string {
  const resource = d.group ? `${d.resource}.${d.group}` : d.resource;
  return `${d.user ?? 'the agent'} may not ${d.verb} ${resource} ${d.namespace ? `in namespace ${d.namespace}` : 'cluster-wide'} (missing permission: ${d.verb} ${resource}); its objects there are neither read nor written`;
}

function ungrantedMessage(ctx: ApplyContext, u: Ungranted): string {
  const user = ctx.objects.client.impersonatedUser;
  return user
    ? `${user} may grant only what it holds: ${describeUngranted(u)}`
    : `needs bootstrap by an admin: ${describeUngranted(u)} (the agent grants only what it holds; re-run synthops bootstrap)`;
}

/** Equal ref sets, or both absent. */
function sameSet(a: readonly ObjectRef[] | undefined, b: readonly ObjectRef[] | undefined): boolean {
  return a === undefined || b === undefined ? a === b : sameRefs(a, b);
}

async function fail(
  report: ChangeSet,
  prepared: PreparedObject[],
  trim?: () => Promise<void>,
): Promise<{ report: ChangeSet; prepared: PreparedObject[] }> {
  await trim?.();
  return { report, prepared };
}
