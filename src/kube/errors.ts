import { SynthopsError } from '../model/errors';

/** An error answer of the Kubernetes API, with the apiserver's own message. */
export class KubeApiError extends SynthopsError {
  /** HTTP status of the answer. */
  public readonly status: number;
  /** The Status object's `reason` (NotFound, Forbidden, Invalid, ...). */
  public readonly reason: string;

  constructor(status: number, reason: string, message: string) {
    super(message);
    this.status = status;
    this.reason = reason;
  }
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
    super(`the API has no kind ${kind} in ${apiVersion} (unknown kind, or its CustomResourceDefinition is not installed)`);
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
