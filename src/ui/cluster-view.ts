import type { KubeClient } from '../kube/client';
import type { AppSync } from '../agent/state/status-store';
import { PLURAL, STATUS_API_VERSION, STATUS_KIND } from '../model/appsync';
import { ReadProblem, ResourceName } from './problems';
import { WatchedList } from './watched-list';

/** A Kubernetes Event about an AppSync, as the UI keeps it. */
export interface AppEvent {
  readonly metadata: { readonly name: string; readonly resourceVersion?: string };
  readonly involvedObject: { readonly name: string; readonly kind?: string };
  /** `Normal` or `Warning`. @default - shown as Normal */
  readonly type?: string;
  /** @default - none shown */
  readonly reason?: string;
  /** @default - none shown */
  readonly message?: string;
  /** How often the Event repeated. @default 1 */
  readonly count?: number;
  /** @default - the event time */
  readonly firstTimestamp?: string;
  /** @default - the event time */
  readonly lastTimestamp?: string;
  /** Set by newer clients instead of the timestamps. @default - the last timestamp */
  readonly eventTime?: string;
}

/** What changed, as pushed to the pages. */
export type ViewChange =
  | { readonly kind: 'appsyncs'; readonly names: readonly string[] }
  | { readonly kind: 'events'; readonly appsyncs: readonly string[] }
  | { readonly kind: 'problem'; readonly banner: string | undefined };

/** Options of a {@link ClusterView}. */
export interface ClusterViewOptions {
  readonly client: KubeClient;
  /** The agent's namespace: AppSyncs and their Events. */
  readonly namespace: string;
  /** Changes are gathered this long before listeners hear of them. @default 100 */
  readonly debounceMs?: number;
  /** Passed to the watched lists. @default 500 */
  readonly retryMinMs?: number;
  /** @default 5000 */
  readonly retryMaxMs?: number;
}

function leanSync(s: AppSync): AppSync {
  const { managedFields: _drop, ...metadata } = s.metadata as AppSync['metadata'] & { managedFields?: unknown };
  return { metadata, spec: s.spec, status: s.status } as AppSync;
}

function leanEvent(e: AppEvent): AppEvent {
  return {
    metadata: { name: e.metadata.name, resourceVersion: e.metadata.resourceVersion },
    involvedObject: { name: e.involvedObject.name, kind: e.involvedObject.kind },
    type: e.type,
    reason: e.reason,
    message: e.message,
    count: e.count,
    firstTimestamp: e.firstTimestamp,
    lastTimestamp: e.lastTimestamp,
    eventTime: e.eventTime,
  };
}

/** When an Event last happened. */
export function eventTime(e: AppEvent): string | undefined {
  return e.lastTimestamp ?? e.eventTime ?? e.firstTimestamp;
}

/**
 * The server's one view of the agent namespace: one watch on AppSyncs and one on their
 * Events, shared by every page and tab. Changes are coalesced and handed to listeners
 * (the SSE hub); pages render from memory, so the overview of 1000 apps costs no request.
 */
export class ClusterView {
  public readonly appsyncs: WatchedList<AppSync>;
  public readonly events: WatchedList<AppEvent>;
  private readonly listeners = new Set<(c: ViewChange) => void>();
  private pendingSyncs = new Set<string>();
  private pendingEvents = new Set<string>();
  private timer?: NodeJS.Timeout;
  private lastBanner?: string;

  constructor(private readonly o: ClusterViewOptions) {
    const [group] = STATUS_API_VERSION.split('/');
    const ns = o.namespace;
    const retry = { retryMinMs: o.retryMinMs, retryMaxMs: o.retryMaxMs };
    this.appsyncs = new WatchedList<AppSync & { metadata: { name: string } }>({
      client: o.client,
      path: `/apis/${STATUS_API_VERSION}/namespaces/${ns}/${PLURAL}`,
      target: { resource: PLURAL, group, namespace: ns },
      keep: leanSync,
      onChange: (names) => this.queue(names, this.pendingSyncs),
      onProblem: () => this.problemChanged(),
      ...retry,
    });
    this.events = new WatchedList<AppEvent>({
      client: o.client,
      path: `/api/v1/namespaces/${ns}/events`,
      target: { resource: 'events', group: '', namespace: ns },
      query: { fieldSelector: `involvedObject.kind=${STATUS_KIND}` },
      keep: leanEvent,
      onChange: (names) => {
        for (const n of names) {
          const e = this.events.get(n);
          // A deleted Event is gone from the list; refreshing every app page for it is harmless.
          this.pendingEvents.add(e ? e.involvedObject.name : '*');
        }
        this.schedule();
      },
      onProblem: () => this.problemChanged(),
      ...retry,
    });
  }

  /** The namespace this view reads. */
  public get namespace(): string {
    return this.o.namespace;
  }

  /** Starts both watches. */
  public start(): void {
    this.appsyncs.start();
    this.events.start();
  }

  /** Stops both watches. */
  public stop(): void {
    this.appsyncs.stop();
    this.events.stop();
    if (this.timer) clearTimeout(this.timer);
  }

  /** Hears every change (coalesced). Returns the function that stops listening. */
  public subscribe(fn: (c: ViewChange) => void): () => void {
    this.listeners.add(fn);
    return () => this.listeners.delete(fn);
  }

  /** Events of one AppSync, newest first. */
  public eventsOf(syncName: string): AppEvent[] {
    return this.events
      .items()
      .filter((e) => e.involvedObject.name === syncName)
      .sort((a, b) => (eventTime(b) ?? '').localeCompare(eventTime(a) ?? ''));
  }

  /**
   * The problem every page shows in its banner: the API server cannot be reached or
   * rejects the credentials. Missing permissions are said on the pages they affect.
   */
  public banner(): string | undefined {
    const p = this.appsyncs.problem ?? this.events.problem;
    if (!p) return undefined;
    if (p.kind === 'unreachable')
      return `Cannot reach the Kubernetes API server (${p.detail}). Showing what was last read; retrying.`;
    if (p.kind === 'unauthorized')
      return 'The Kubernetes API server rejects your credentials (401 Unauthorized). Renew your kubeconfig login; retrying.';
    return undefined;
  }

  /** The AppSync list's problem, for pages that depend on it. */
  public get syncProblem(): ReadProblem | undefined {
    return this.appsyncs.problem;
  }

  /** The AppSync collection, named for messages. */
  public get syncTarget(): ResourceName {
    return { resource: PLURAL, group: STATUS_API_VERSION.split('/')[0], namespace: this.o.namespace };
  }

  private queue(names: ReadonlySet<string>, into: Set<string>): void {
    for (const n of names) into.add(n);
    this.schedule();
  }

  private problemChanged(): void {
    const banner = this.banner();
    if (banner !== this.lastBanner) {
      this.lastBanner = banner;
      this.emit({ kind: 'problem', banner });
    }
    // The pages showing a permission message re-render too.
    this.pendingSyncs.add('*');
    this.schedule();
  }

  private schedule(): void {
    if (this.timer) return;
    this.timer = setTimeout(() => {
      this.timer = undefined;
      if (this.pendingSyncs.size > 0) this.emit({ kind: 'appsyncs', names: [...this.pendingSyncs] });
      if (this.pendingEvents.size > 0) this.emit({ kind: 'events', appsyncs: [...this.pendingEvents] });
      this.pendingSyncs = new Set();
      this.pendingEvents = new Set();
    }, this.o.debounceMs ?? 100);
  }

  private emit(c: ViewChange): void {
    for (const fn of this.listeners) fn(c);
  }
}
