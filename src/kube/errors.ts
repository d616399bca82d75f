import { SynthopsError } from '../model/errors';

/** One cause of a Status answer: which field, and why (`FieldValueInvalid`, `FieldValueRequired`, ...). */
export interface StatusCause {
  /** Machine-readable reason of the cause. @default - none given */
  readonly reason?: string;
  /** The apiserver's words for this cause. @default - none given */
  readonly message?: string;
  /** Dotted path of the field, e.g. `spec.template`. @default - none: not about one field */
  readonly field?: string;
}

/** The structured `details` of a Status answer. */
export interface StatusDetails {
  /** Name of the object. @default - none given */
  readonly name?: string;
  /** API group of the object. @default - none given */
  readonly group?: string;
  /** Kind of the object. @default - none given */
  readonly kind?: string;
  /** What was wrong, field by field. @default - none given */
  readonly causes?: readonly StatusCause[];
}

/** An error answer of the Kubernetes API, with the apiserver's own message. */
export class KubeApiError extends SynthopsError {
  /** HTTP status of the answer. */
  public readonly status: number;
  /** The Status object's `reason` (NotFound, Forbidden, Invalid, ...). */
  public readonly reason: string;
  /** The Status object's `details` (the causes of an Invalid answer). @default - none: the answer had none */
  public readonly details?: StatusDetails;

  constructor(status: number, reason: string, message: string, details?: StatusDetails) {
    super(message);
    this.status = status;
    this.reason = reason;
    this.details = details;
  }
}

/**
 * The detail the apiserver gives a change to an immutable field (apimachinery's
 * `FieldImmutableErrorMsg`, used by `ValidateImmutableField`): the cause's message is
 * `Invalid value: <value>: field is immutable`, or for fields frozen by a flag (an
 * immutable Secret or ConfigMap) `Forbidden: field is immutable when ...`.
 */
const FIELD_IMMUTABLE = 'field is immutable';

function isImmutableCause(c: StatusCause): boolean {
  const m = c.message ?? '';
  if (c.reason === 'FieldValueInvalid') return m.endsWith(`: ${FIELD_IMMUTABLE}`);
  if (c.reason === 'FieldValueForbidden') return m.startsWith(`Forbidden: ${FIELD_IMMUTABLE}`);
  return false;
}

/**
 * The fields an Invalid (422) answer refuses because they are immutable, read from the
 * Status object's structured causes (reason and field, with the apiserver's fixed
 * wording for immutability). Empty for any other answer.
 */
export function immutableFields(e: unknown): string[] {
  if (!(e instanceof KubeApiError) || e.status !== 422 || e.reason !== 'Invalid') return [];
  return [...new Set((e.details?.causes ?? []).filter((c) => c.field && isImmutableCause(c)).map((c) => c.field!))];
}

/** The apiserver could not be reached at all (connection refused, TLS, DNS, timeout). */
export class KubeUnreachableError extends SynthopsError {
  /** The URL that was tried (without credentials). */
  public readonly server: string;
  /** Node's error code (ECONNREFUSED, ECONNRESET, ETIMEDOUT, ...), when there is one. @default - none */
  public readonly code?: string;

  constructor(server: string, reason: string, code?: string) {
    super(`cannot reach the Kubernetes API at ${server}: ${reason}`);
    this.server = server;
    this.code = code;
  }

  /** A connection that was open and dropped: worth one more try at once. */
  public get dropped(): boolean {
    return this.code === 'ECONNRESET' || this.code === 'EPIPE';
  }
}

/** A request on a client that was shut down (the agent stopped): it was not sent. */
export class KubeClientClosedError extends SynthopsError {
  constructor(what: string) {
    super(`not sent, the client was shut down: ${what}`);
  }
}

/** The API has no resource for an apiVersion/kind (unknown kind, or its CRD is not installed). */
export class UnknownKindError extends SynthopsError {
  public readonly apiVersion: string;
  public readonly kind: string;

  constructor(apiVersion: string, kind: string) {
    super(
      `the API has no kind ${kind} in ${apiVersion} (unknown kind, or its CustomResourceDefinition is not installed)`,
    );
    this.apiVersion = apiVersion;
    this.kind = kind;
  }
}

/** A kubeconfig (or the in-cluster ServiceAccount files) is missing, malformed or incomplete. */
export class KubeconfigError extends SynthopsError {
  /** What was read: `kubeconfig <file>`, or `in-cluster config <dir>`. */
  public readonly source: string;

  constructor(source: string, message: string) {
    super(`${source}: ${message}`);
    this.source = source;
  }
}

/** Whether `e` is the API's 404: the object (or its kind) does not exist. */
export function isNotFound(e: unknown): e is KubeApiError {
  return e instanceof KubeApiError && e.status === 404;
}

/** Whether `e` is the API's 403: the caller may not do this. */
export function isForbidden(e: unknown): e is KubeApiError {
  return e instanceof KubeApiError && e.status === 403;
}

/** Whether `e` is the API's 409: a conflict (already exists, or a stale resourceVersion). */
export function isConflict(e: unknown): e is KubeApiError {
  return e instanceof KubeApiError && e.status === 409;
}

/** Whether `e` is the API's 410: a watch's resourceVersion is too old. */
export function isGone(e: unknown): e is KubeApiError {
  return e instanceof KubeApiError && e.status === 410;
}

/** Resolves to undefined where the promise fails with a 404; any other failure propagates. */
export async function orUndefinedIfNotFound<T>(p: Promise<T>): Promise<T | undefined> {
  try {
    return await p;
  } catch (e) {
    if (isNotFound(e)) return undefined;
    throw e;
  }
}
