import { APP_LABEL } from '../../model/keys';
import { Manifest, ObjectRef, describeObject, identityKey, refOf } from '../../model/manifest';
import { Discovery } from '../../kube/discovery';
import { isForbidden, isGone } from '../../kube/errors';
import { KubeClient, WatchEvent } from '../../kube/client';
import { Logger } from './log';
import { DriftEvent, WatchTarget, fingerprint, judgeEvent, notNewer } from './drift-judge';

export { DriftEvent, WatchTarget, fingerprint };

interface KindWatch {
  abort: () => void;
  stopped: boolean;
}

/**
 * Watches every kind the agent manages (one watch per kind and namespace, filtered by
 * the app label: the agent may read namespaced kinds only in the namespaces of its
 * apps) and reports changes to managed objects whose fingerprint moved away from the
 * last applied state, and deletions. Status-only updates are ignored.
 */
export class DriftWatcher {
  private targets = new Map<string, WatchTarget>();
  private readonly watches = new Map<string, KindWatch>();
  private closed = false;
  private holding?: ReadonlySet<string> | 'all';
  private readonly held = new Map<string, { e: WatchEvent; apiVersion: string; kind: string }>();

  constructor(
    private readonly client: KubeClient,
    private readonly discovery: Discovery,
    private readonly log: Logger,
    private readonly onDrift: (e: DriftEvent) => void,
  ) {}

  /**
   * Replaces the guarded objects and starts or stops watches to match their kinds. An
   * object already guarded keeps what the watcher knew of it, and the state given
   * (read after the reconcile) is judged like a watch event: a change by someone else
   * made after the reconcile looked, whose event is still on its way, is drift, not the
   * new baseline.
   */
  public setTargets(targets: readonly WatchTarget[]): void {
    if (this.closed) return;
    const drifted: DriftEvent[] = [];
    const next = new Map<string, WatchTarget>();
    for (const t of targets) {
      const key = identityKey(t.ref);
      const known = this.targets.get(key);
      if (!known || known.app !== t.app || known.fingerprint === t.fingerprint)
        next.set(key, known?.app === t.app ? known : t);
      else if (notNewer(t.resourceVersion, known.resourceVersion))
        next.set(key, known); // older than what we wrote: stale
      else {
        next.set(key, t); // reported once: this state is what later events are compared with
        drifted.push({ app: t.app, object: describeObject(t.ref), change: 'modified' });
      }
    }
    this.targets = next;
    const kinds = new Map(targets.map((t) => [`${t.ref.apiVersion}|${t.ref.kind}|${t.ref.namespace ?? ''}`, t.ref]));
    for (const [k, w] of this.watches) {
      if (!kinds.has(k)) {
        w.stopped = true;
        w.abort();
        this.watches.delete(k);
      }
    }
    for (const [k, ref] of kinds) if (!this.watches.has(k)) this.startKind(k, ref.apiVersion, ref.kind, ref.namespace);
    for (const d of drifted) this.onDrift(d);
  }

  /**
   * Records a state the agent itself just wrote (from the write's answer), so the watch
   * event of that write is not taken for drift.
   */
  public expect(app: string, m: Manifest): void {
    const ref = refOf(m);
    this.targets.set(identityKey(ref), {
      app,
      ref,
      fingerprint: fingerprint(m),
      resourceVersion: m.metadata.resourceVersion as string | undefined,
    });
  }

  /** Stops guarding an object the agent itself deleted (a prune): its deletion is not drift. */
  public forget(ref: ObjectRef): void {
    this.targets.delete(identityKey(ref));
    this.held.delete(identityKey(ref));
  }

  /** Number of watches (kinds, per namespace for namespaced kinds). */
  public get kinds(): number {
    return this.watches.size;
  }

  private startKind(key: string, apiVersion: string, kind: string, namespace: string | undefined): void {
    const w: KindWatch = { abort: () => undefined, stopped: false };
    this.watches.set(key, w);
    const run = async () => {
      let resourceVersion: string | undefined;
      while (!w.stopped) {
        try {
          const info = await this.discovery.resolve(apiVersion, kind);
          const path = Discovery.collectionPath(apiVersion, info, namespace);
          if (!resourceVersion) {
            // Start from a full list, and compare it with the targets: a change made
            // between the last reconcile and this watch is not missed.
            const list = await this.client.request<{ metadata: { resourceVersion: string }; items: Manifest[] }>(
              'GET',
              path,
              { query: { labelSelector: APP_LABEL } },
            );
            resourceVersion = list.metadata.resourceVersion;
            this.compare(
              list.items.map((i) => ({ ...i, apiVersion, kind })),
              apiVersion,
              kind,
              info.namespaced ? namespace : undefined,
            );
          }
          const h = this.client.watch(
            path,
            { labelSelector: APP_LABEL, resourceVersion, allowWatchBookmarks: 'true', timeoutSeconds: '300' },
            (e) => {
              const rv = e.object.metadata?.resourceVersion;
              if (e.type === 'ERROR') {
                if (e.object.code === 410) resourceVersion = undefined; // too old: list again
                return;
              }
              if (rv) resourceVersion = rv;
              if (e.type !== 'BOOKMARK') this.handle(e, apiVersion, kind);
            },
          );
          w.abort = h.abort;
          if (w.stopped) h.abort(); // stopped while listing: the abort above found no watch yet
          await h.done;
        } catch (e) {
          if (w.stopped) return;
          if (isGone(e)) resourceVersion = undefined;
          // Not allowed to watch this kind: say so, and try again rarely (RBAC may be fixed).
          const forbidden = isForbidden(e);
          if (forbidden)
            this.log.warn(
              { kind, apiVersion, err: (e as Error).message },
              'cannot watch this kind: drift in it is repaired only by the periodic reconcile',
            );
          else this.log.debug({ kind, err: (e as Error).message }, 'watch interrupted; retrying');
          // Unref'd: a watch waiting to retry keeps no stopping process alive.
          await new Promise((r) => setTimeout(r, forbidden ? 60_000 : 1000).unref());
        }
      }
    };
    void run();
  }

  private compare(items: readonly Manifest[], apiVersion: string, kind: string, namespace: string | undefined): void {
    const seen = new Set(items.map((m) => identityKey(refOf(m))));
    for (const m of items)
      this.handle({ type: 'MODIFIED', object: m as unknown as WatchEvent['object'] }, apiVersion, kind);
    for (const [key, t] of this.targets) {
      // Only the targets this list covers: its namespace (for a namespaced kind).
      if (
        t.ref.apiVersion === apiVersion &&
        t.ref.kind === kind &&
        (namespace === undefined || t.ref.namespace === namespace) &&
        !seen.has(key)
      ) {
        this.onDrift({ app: t.app, object: describeObject(t.ref), change: 'deleted' });
      }
    }
  }

  /**
   * Holds back events of these apps (all with `'all'`) while the agent writes them: the
   * event of its own write can arrive before the write's answer, and must not look like
   * drift. {@link release} judges them once the answers are in ({@link expect}).
   */
  public hold(apps: ReadonlySet<string> | 'all'): void {
    this.holding = apps;
  }

  /** Stops holding and judges every held event against the states now expected. */
  public release(): void {
    this.holding = undefined;
    const held = [...this.held.values()];
    this.held.clear();
    for (const h of held) this.handle(h.e, h.apiVersion, h.kind);
  }

  private handle(e: WatchEvent, apiVersion: string, kind: string): void {
    const m = { ...(e.object as unknown as Manifest), apiVersion, kind };
    const key = identityKey(refOf(m));
    const target = this.targets.get(key);
    if (!target) return;
    const verdict = judgeEvent(target, e.type, m, this.holding);
    if (verdict.action === 'hold')
      this.held.set(key, { e, apiVersion, kind }); // the latest event per object is enough
    else if (verdict.action === 'drift') {
      // Report each distinct state once; the reconcile that follows sets a new target.
      if (verdict.fingerprint) this.targets.set(key, { ...target, fingerprint: verdict.fingerprint });
      this.onDrift(verdict.drift);
    }
  }

  /** Stops every watch, for good: later targets start nothing. */
  public stop(): void {
    this.closed = true;
    for (const w of this.watches.values()) {
      w.stopped = true;
      w.abort();
    }
    this.watches.clear();
  }
}
