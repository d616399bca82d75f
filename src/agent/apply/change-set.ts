import { HealthStatus, ObjectHealth } from '../../model/health';
import { Manifest, ObjectRef, describeObject } from '../../model/manifest';
import { Redactor, redactError } from '../../model/redact';
import { KubeApiError } from '../../kube/errors';

/** What happened (or, in a dry run, would happen) to one object. */
export type ObjectAction = 'created' | 'configured' | 'unchanged' | 'pruned' | 'held' | 'kept';

/** One object of an app's change set. */
export interface ChangeEntry {
  readonly action: ObjectAction;
  readonly ref: ObjectRef;
  /** `file#document` the object came from (absent for prune candidates: they are no longer in Git). @default - none (a prune candidate) */
  readonly origin?: string;
  /** Qualifier shown in parentheses (`would be pruned`, `validated once Namespace x exists`). @default - none */
  readonly note?: string;
  /** Why the object was held or kept. @default - none (for actions other than held and kept) */
  readonly reason?: string;
  /** The live object was deleted and created again: immutable fields changed and it asks for that (`synthops.dev/force`). @default false */
  readonly recreated?: boolean;
}

/**
 * The kinds of problem that stop an app. Decisions (Stalled, retry, dependency
 * waits) are taken on these, never on message text.
 */
export type ProblemKind =
  /** An object cannot be prepared (unknown kind, bad namespace): nothing was written. */
  | 'invalid-object'
  /** The server-side dry-run (or the first, probing write) refused an object: nothing was written. */
  | 'validation'
  /** Validation after the app's CRDs/Namespaces were applied refused an object: only those were written. */
  | 'validation-after-foundation'
  /** A write failed after validation passed. */
  | 'apply'
  /** CRDs or Namespaces of the app did not become ready in time. */
  | 'foundation-not-ready'
  /** A `dependsOn` app is not applied and healthy. */
  | 'dependency-not-ready'
  /** Apps depend on each other in a cycle. */
  | 'dependency-cycle'
  /** Another source owns the app (its inventory or AppSync): nothing was written or pruned. */
  | 'source-conflict'
  /** A SOPS-encrypted object could not be decrypted (wrong or missing key, tampered, half-encrypted): nothing was written. */
  | 'decryption'
  /** The identity that reads the app's objects may not list them: their state is unknown, nothing was written. */
  | 'read-forbidden'
  /** A role or binding would grant rights its writer does not hold: an admin must grant them (bootstrap); nothing was written. */
  | 'needs-bootstrap'
  /** The app names a ServiceAccount the agent may not act as: nothing was written. */
  | 'service-account-not-allowed'
  /** The app has objects in the agent's own namespace, reserved for the agent's app: nothing was written. */
  | 'reserved-namespace'
  /** Anything else that threw (typically the apiserver went away). */
  | 'internal'
  /** The agent stopped writing before the app was done (shutdown, or it lost the lease). */
  | 'stopped';

/** One problem of an app, typed, with the object and the cause where there is one. */
export interface AppProblem {
  readonly kind: ProblemKind;
  /** The apiserver's (or the check's) own words, without the object's name. */
  readonly message: string;
  /** The object the problem is about. @default - none: the problem is the app's, not one object's */
  readonly ref?: ObjectRef;
  /** `file#document` the object came from. @default - none: no object, or one no longer in Git */
  readonly origin?: string;
  /** The error behind it (a {@link KubeApiError} for API refusals). @default - none: a check of synthops found it, nothing threw */
  readonly cause?: unknown;
}

/** Applied: every object written or unchanged; Failed: see problems; Skipped: a dependency is not ready; Planned: dry run. */
export type AppStatus = 'Applied' | 'Failed' | 'Skipped' | 'Planned';

/** Problem kinds that the same revision will hit again: retrying cannot help (Flux's Stalled). */
const STALLING: ReadonlySet<ProblemKind> = new Set([
  'validation',
  'validation-after-foundation',
  'invalid-object',
  'needs-bootstrap',
  'service-account-not-allowed',
  'reserved-namespace',
  'source-conflict',
]);

/** The message of an error, with the HTTP status for API refusals. */
export function errorMessage(e: unknown): string {
  return e instanceof KubeApiError
    ? `${e.message} (HTTP ${e.status} ${e.reason})`
    : e instanceof Error
      ? e.message
      : String(e);
}

/** What the agent did (or, with dry-run, would do) for one app: a typed change set. */
export class ChangeSet {
  public status: AppStatus = 'Applied';
  public readonly entries: ChangeEntry[] = [];
  public readonly problems: AppProblem[] = [];
  private redactor: Redactor;

  /** `secrets`: the app's desired objects; the values of its Secrets never enter a problem. */
  constructor(
    public readonly app: string,
    public readonly env: string,
    secrets: Iterable<Manifest | undefined> = [],
  ) {
    this.redactor = Redactor.of(secrets);
  }

  /** Keeps the values of these Secrets (live ones the agent read: old values) out of problems too. */
  public knowSecrets(manifests: Iterable<Manifest | undefined>): void {
    this.redactor = this.redactor.with(manifests);
  }

  /** Records what happened to one object. */
  public record(
    action: ObjectAction,
    ref: ObjectRef,
    detail: { origin?: string; note?: string; reason?: string; recreated?: boolean } = {},
  ): void {
    this.entries.push({ action, ref, ...detail });
  }

  /** Records a problem; the app has failed (or, for a dependency, is skipped). */
  public fail(problem: AppProblem): void {
    // The one place problem text enters: every report, log line, Event, status and
    // alert is formatted from these, so Secret values are redacted here, at birth.
    const fix = (text: string) => this.redactor.redactAbout(problem.ref, text);
    this.problems.push({
      ...problem,
      message: fix(problem.message),
      ...(problem.cause === undefined ? {} : { cause: redactError(problem.cause, fix) }),
    });
    this.status = problem.kind === 'dependency-not-ready' ? 'Skipped' : 'Failed';
  }

  /** Objects with this action. */
  public of(action: ObjectAction): ChangeEntry[] {
    return this.entries.filter((e) => e.action === action);
  }

  /** The same revision fails the same way again: not worth a retry (Stalled). */
  public get stalled(): boolean {
    return this.status === 'Failed' && this.problems.some((p) => STALLING.has(p.kind));
  }
}

/** `Kind ns/name (note): reason`: how an entry is shown. */
export function formatEntry(e: ChangeEntry): string {
  return `${describeObject(e.ref)}${e.note ? ` (${e.note})` : ''}${e.reason ? `: ${e.reason}` : ''}`;
}

/** One problem as a line that names the object, its file and the cause. */
export function formatProblem(p: AppProblem): string {
  const where = p.ref ? `${describeObject(p.ref)}${p.origin ? ` (${p.origin})` : ''}: ` : '';
  switch (p.kind) {
    case 'validation':
      return `validation failed, nothing of this app was written: ${where}${p.message}`;
    case 'validation-after-foundation':
      return `validation failed after its CRD/Namespace was applied; the rest of the app was not written: ${where}${p.message}`;
    case 'apply':
      return `${where}apply failed: ${p.message}`;
    case 'foundation-not-ready':
      return `not ready in time: ${p.message}`;
    case 'dependency-not-ready':
      return `DependencyNotReady: waits for ${p.message}`;
    case 'dependency-cycle':
      return `dependency cycle among ${p.message}`;
    case 'decryption':
      return `not decrypted, nothing of this app was written: ${where}${p.message}`;
    case 'read-forbidden':
      return `cannot read, nothing of this app was written: ${where}${p.message}`;
    case 'needs-bootstrap':
      return `${where}${p.message}`;
    case 'service-account-not-allowed':
    case 'reserved-namespace':
      return `refused, nothing of this app was written: ${where}${p.message}`;
    case 'internal':
      return `reconcile failed: ${p.message}`;
    default:
      return `${where}${p.message}`;
  }
}

/**
 * Where an app stands after a reconcile, decided from its change set and health:
 * the one place convergence is defined.
 */
export type AppOutcome = 'Converged' | 'Planned' | 'Failed' | 'Skipped' | 'PruneHeld' | 'Unhealthy';

/** The outcome for one app: its change set, health, and the views every report is formatted from. */
export interface AppResult {
  readonly app: string;
  readonly env: string;
  readonly status: AppStatus;
  readonly outcome: AppOutcome;
  /** Converged (or, in a dry run, planned): applied, healthy, nothing held. */
  readonly converged: boolean;
  /** The same revision will fail the same way (validation): retrying cannot help. */
  readonly stalled: boolean;
  readonly entries: readonly ChangeEntry[];
  readonly problems: readonly AppProblem[];
  /** Health after applying (absent when nothing was applied or health was not awaited). @default - none (not assessed) */
  readonly health?: HealthStatus['health'];
  /** Why the app has that health, naming the worst object. @default - none (not assessed) */
  readonly healthMessage?: string;
  readonly unhealthy: readonly ObjectHealth[];
  readonly durationMs: number;
  /** Why the app is not converged, in one line (empty when it is). */
  readonly why: string;
  // Formatted views, one line per object or problem.
  readonly created: string[];
  readonly configured: string[];
  readonly unchanged: string[];
  readonly pruned: string[];
  readonly held: string[];
  readonly kept: string[];
  readonly errors: string[];
}

function outcomeOf(
  c: { readonly status: AppStatus; readonly entries: readonly ChangeEntry[] },
  health?: HealthStatus,
): AppOutcome {
  if (c.status === 'Failed') return 'Failed';
  if (c.status === 'Skipped') return 'Skipped';
  if (c.status === 'Planned') return 'Planned';
  if (c.entries.some((e) => e.action === 'held')) return 'PruneHeld';
  if (health && health.health !== 'Healthy') return 'Unhealthy';
  return 'Converged';
}

function whyOf(
  outcome: AppOutcome,
  status: AppStatus,
  errors: readonly string[],
  held: readonly string[],
  health?: HealthStatus,
): string {
  if (outcome === 'Failed' || outcome === 'Skipped') return errors[0] ?? status;
  if (outcome === 'PruneHeld') return `prune held: ${held[0]}`;
  if (outcome === 'Unhealthy' && health) return `${health.health}: ${health.message}`;
  return '';
}

/**
 * The same result with a later look at its health: the long-running agent applies,
 * returns, and follows health outside the reconcile.
 */
export function withHealth(
  r: AppResult,
  health: HealthStatus & { readonly unhealthy: readonly ObjectHealth[] },
): AppResult {
  const outcome = outcomeOf(r, health);
  return {
    ...r,
    outcome,
    converged: outcome === 'Converged' || outcome === 'Planned',
    health: health.health,
    healthMessage: health.message,
    unhealthy: health.unhealthy,
    why: whyOf(outcome, r.status, r.errors, r.held, health),
  };
}

/** Freezes a change set and its health into the result every report is formatted from. */
export function appResult(
  c: ChangeSet,
  durationMs: number,
  health?: HealthStatus & { readonly unhealthy: readonly ObjectHealth[] },
): AppResult {
  const outcome = outcomeOf(c, health);
  const lines = (a: ObjectAction) => c.of(a).map(formatEntry);
  const errors = c.problems.map(formatProblem);
  const held = lines('held');
  const why = whyOf(outcome, c.status, errors, held, health);
  return {
    app: c.app,
    env: c.env,
    status: c.status,
    outcome,
    converged: outcome === 'Converged' || outcome === 'Planned',
    stalled: c.stalled,
    entries: [...c.entries],
    problems: [...c.problems],
    health: health?.health,
    healthMessage: health?.message,
    unhealthy: health?.unhealthy ?? [],
    durationMs,
    why,
    created: lines('created'),
    configured: lines('configured'),
    unchanged: lines('unchanged'),
    pruned: lines('pruned'),
    held,
    kept: lines('kept'),
    errors,
  };
}
