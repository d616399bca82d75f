import { Discovery } from '../kube/discovery';
import { KubeApiError, UnknownKindError } from '../kube/errors';
import type { KubeClient } from '../kube/client';
import type { AppSync } from '../agent/state/status-store';
import { FIELD_MANAGER } from '../model/keys';
import { Manifest, ObjectRef, apiGroup } from '../model/manifest';
import { DeployRepo } from './deploy-repo';
import { LiveHealth, liveHealth } from './health-detail';
import {
  Comparison,
  FieldOwner,
  compareDryRun,
  compareFile,
  compareValues,
  fieldOwners,
  ownedFields,
} from './object-diff';
import { ReadProblem, describeProblem, readProblem } from './problems';

/** Where the desired side of the comparison came from. */
export type DesiredSource =
  | { readonly kind: 'dry-run'; readonly revision: string }
  | { readonly kind: 'file'; readonly revision: string; readonly why: string }
  | { readonly kind: 'not-in-revision'; readonly revision: string }
  | { readonly kind: 'last-applied'; readonly why: string };

/** Everything the object page shows. */
export interface ObjectView {
  readonly ref: ObjectRef;
  /** The live object. @default - none: missing or unreadable (see liveProblem) */
  readonly live?: Manifest;
  /** Why the live object could not be read. @default - none: it was read, or it does not exist */
  readonly liveProblem?: ReadProblem;
  /** @default - none: no live object to assess */
  readonly health?: LiveHealth;
  readonly source: DesiredSource;
  /** Desired against live. @default - none: one side is missing */
  readonly comparison?: Comparison;
  readonly owners: readonly FieldOwner[];
}

const SERVER_METADATA = ['managedFields', 'resourceVersion', 'uid', 'generation', 'creationTimestamp', 'selfLink'];

/** The live object without status and the metadata the server keeps for itself. */
export function withoutServerFields(m: Manifest): Record<string, unknown> {
  const { status: _status, ...rest } = m as Manifest & { status?: unknown };
  const metadata: Record<string, unknown> = { ...m.metadata };
  for (const k of SERVER_METADATA) delete metadata[k];
  return { ...rest, metadata };
}

/** Reads one object of an app and compares it with what Git asks for. */
export class ObjectViewer {
  constructor(
    private readonly client: KubeClient,
    private readonly discovery: Discovery,
    private readonly repo: DeployRepo | undefined,
  ) {}

  private async path(ref: ObjectRef): Promise<string> {
    const info = await this.discovery.resolve(ref.apiVersion, ref.kind);
    return Discovery.objectPath(ref.apiVersion, info, ref.name, info.namespaced ? ref.namespace : undefined);
  }

  private async plural(ref: ObjectRef): Promise<string> {
    return (
      (await this.discovery.resolve(ref.apiVersion, ref.kind).catch(() => undefined))?.plural ??
      `${ref.kind.toLowerCase()}s`
    );
  }

  /** The page's data for object `ref` of the app of `sync`. */
  public async view(sync: AppSync, ref: ObjectRef): Promise<ObjectView> {
    let live: Manifest | undefined;
    let liveProblem: ReadProblem | undefined;
    try {
      live = await this.client.request<Manifest>('GET', await this.path(ref));
    } catch (e) {
      const missing = e instanceof UnknownKindError || (e instanceof KubeApiError && e.status === 404);
      if (!missing)
        liveProblem = readProblem(e, 'get', {
          resource: await this.plural(ref),
          group: apiGroup(ref.apiVersion),
          namespace: ref.namespace,
        });
    }
    const owners = live ? fieldOwners(live) : [];
    const health = live ? liveHealth(live) : undefined;
    const revision = sync.status?.lastAppliedRevision ?? sync.status?.lastAttemptedRevision;
    // Without the deploy branch: the live object against what synthops last applied to it.
    const lastApplied = (why: string): ObjectView => ({
      ref,
      live,
      liveProblem,
      health,
      owners,
      source: { kind: 'last-applied', why },
      comparison: live ? compareValues(withoutServerFields(live), ownedFields(live), ref.kind) : undefined,
    });
    if (!this.repo || !revision) {
      const why = !this.repo
        ? 'no deploy repo was given (start synthops ui with --repo and --branch to compare with Git)'
        : 'the agent has not recorded a revision for this app yet';
      return lastApplied(why);
    }
    let desired: Manifest | undefined;
    try {
      desired = await this.repo.desired(revision, sync.spec.env, sync.spec.app, ref);
    } catch (e) {
      return lastApplied((e as Error).message);
    }
    if (!desired) return { ref, live, liveProblem, health, owners, source: { kind: 'not-in-revision', revision } };
    try {
      // What `synthops diff --cluster` does: a server-side dry-run apply as synthops; nothing is written.
      const dry = await this.client.request<Manifest>('PATCH', await this.path(ref), {
        body: desired,
        contentType: 'application/apply-patch+yaml',
        query: { fieldManager: FIELD_MANAGER, force: 'true', dryRun: 'All' },
      });
      return {
        ref,
        live,
        liveProblem,
        health,
        owners,
        source: { kind: 'dry-run', revision },
        comparison: compareDryRun(dry, live),
      };
    } catch (e) {
      const p = readProblem(e, 'patch', {
        resource: await this.plural(ref),
        group: apiGroup(ref.apiVersion),
        namespace: ref.namespace,
      });
      const why =
        p.kind === 'forbidden'
          ? `${describeProblem(p)} (a server-side dry-run needs it)`
          : `the server-side dry-run failed: ${p.detail}`;
      return {
        ref,
        live,
        liveProblem,
        health,
        owners,
        source: { kind: 'file', revision, why },
        comparison: compareFile(desired, live),
      };
    }
  }
}
