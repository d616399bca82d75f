import { AppSync, appSyncName } from '../../model/appsync';
import { GitSourceCondition, GitSourceReason, GitSourceStatus } from '../../model/gitsource';
import { SOURCE_LABEL } from '../../model/keys';
import type { SourceState } from './controller';

/** Where one source stands as a whole: what its GitSource's Ready condition says, and what dependents wait for. */
export interface Readiness {
  readonly ready: boolean;
  readonly reason: GitSourceReason;
  readonly message: string;
  /** The revision every app is Ready at, when ready. @default - none: not ready */
  readonly revision?: string;
}

/** What the supervisor knows of a source besides its controller's state. */
export interface SourceCondition {
  /** The GitSource cannot run (bad spec, missing Secret). @default - none */
  readonly problem?: { readonly reason: GitSourceReason; readonly message: string };
  /** spec.suspend. @default false */
  readonly suspended?: boolean;
}

const short = (sha: string) => sha.slice(0, 12);

/**
 * A source is Ready when its last fetched revision loaded, no dependency holds it,
 * and every app of that revision has an AppSync of this source that is Ready with
 * that revision applied (pure).
 */
export function readinessOf(
  state: SourceState | undefined,
  syncs: readonly AppSync[],
  extra: SourceCondition = {},
): Readiness {
  if (extra.problem) return { ready: false, ...extra.problem };
  if (extra.suspended)
    return { ready: false, reason: 'Suspended', message: 'spec.suspend is true: nothing is fetched or applied' };
  if (!state) return { ready: false, reason: 'Progressing', message: 'starting' };
  if (state.sourceError) return { ready: false, reason: 'SourceFailed', message: state.sourceError };
  if (state.buildError)
    return {
      ready: false,
      reason: 'BuildFailed',
      message: `revision ${short(state.revision ?? '')} rejected: ${state.buildError}`,
    };
  if (state.blocked) return { ready: false, reason: 'DependencyNotReady', message: state.blocked };
  if (!state.revision || !state.apps || state.env === undefined)
    return { ready: false, reason: 'Progressing', message: 'no revision fetched yet' };
  const own = new Map(
    syncs.filter((s) => s.metadata.labels?.[SOURCE_LABEL] === state.name).map((s) => [s.metadata.name, s]),
  );
  const waiting: string[] = [];
  for (const app of state.apps) {
    const s = own.get(appSyncName(state.env, app));
    const ready = s?.status?.conditions?.find((c) => c.type === 'Ready');
    if (ready?.status !== 'True' || s?.status?.lastAppliedRevision !== state.revision)
      waiting.push(ready && ready.status !== 'True' ? `${app} (${ready.reason}: ${ready.message})` : app);
  }
  if (waiting.length > 0)
    return {
      ready: false,
      reason: 'Progressing',
      message: `revision ${short(state.revision)}: waiting for ${waiting.join(', ')}`,
    };
  return {
    ready: true,
    reason: 'Succeeded',
    message: `revision ${short(state.revision)}: ${state.apps.length} app(s) Ready`,
    revision: state.revision,
  };
}

/**
 * The dependency cycle `name` is part of, as the path from `name` back to it
 * (`['a', 'b', 'a']`), or undefined. A source in a cycle would wait for ever: it is
 * told so instead of "waiting for".
 */
export function dependencyCycle(
  name: string,
  dependsOn: ReadonlyMap<string, readonly string[]>,
): readonly string[] | undefined {
  const path: string[] = [name];
  const onPath = new Set<string>();
  const search = (at: string): boolean => {
    onPath.add(at);
    for (const d of dependsOn.get(at) ?? []) {
      if (d === name) {
        path.push(d);
        return true;
      }
      if (onPath.has(d)) continue; // a cycle that does not pass through `name`: its members report it
      path.push(d);
      if (search(d)) return true;
      path.pop();
    }
    onPath.delete(at);
    return false;
  };
  return search(name) ? path : undefined;
}

/**
 * Why a source that depends on `deps` waits, or undefined when every one is Ready
 * (`readiness` holds each known source's; an unknown name waits too).
 */
export function dependencyWait(deps: readonly string[], readiness: ReadonlyMap<string, Readiness>): string | undefined {
  for (const d of deps) {
    const r = readiness.get(d);
    if (!r) return `waiting for source "${d}": no such source in this agent`;
    if (!r.ready) return `waiting for source "${d}": ${r.reason}: ${r.message}`;
  }
  return undefined;
}

/** The next status of a GitSource (pure): the transition time moves only when Ready's status does. */
export function nextGitSourceStatus(
  previous: GitSourceStatus | undefined,
  r: Readiness,
  state: SourceState | undefined,
  generation: number | undefined,
  now: Date,
): GitSourceStatus {
  const before = previous?.conditions?.find((c) => c.type === 'Ready');
  const status: GitSourceCondition['status'] = r.ready ? 'True' : 'False';
  const ready: GitSourceCondition = {
    type: 'Ready',
    status,
    reason: r.reason,
    message: r.message,
    lastTransitionTime: before && before.status === status ? before.lastTransitionTime : now.toISOString(),
  };
  return {
    ...(generation !== undefined ? { observedGeneration: generation } : {}),
    ...(state?.revision ? { lastFetchedRevision: state.revision } : {}),
    ...(r.revision
      ? { lastReadyRevision: r.revision }
      : previous?.lastReadyRevision
        ? { lastReadyRevision: previous.lastReadyRevision }
        : {}),
    ...(state?.apps ? { apps: [...state.apps] } : previous?.apps ? { apps: previous.apps } : {}),
    conditions: [ready],
  };
}
