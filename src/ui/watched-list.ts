import type { KubeClient, WatchEvent } from '../kube/client';
import { ReadProblem, ResourceName, readProblem } from './problems';

/** The part of an object every collection item has. */
export interface Named {
  readonly metadata: { readonly name: string; readonly resourceVersion?: string };
}

/** Options of a {@link WatchedList}. */
export interface WatchedListOptions<T extends Named> {
  readonly client: KubeClient;
  /** Collection path, e.g. `/apis/synthops.dev/v1alpha1/namespaces/x/appsyncs`. */
  readonly path: string;
  /** What the path reads, for permission messages. */
  readonly target: ResourceName;
  /** Extra query of the list and the watch (a field selector). @default {} */
  readonly query?: Readonly<Record<string, string>>;
  /** Reduces a received object to what the UI keeps. @default the object as received */
  readonly keep?: (raw: T) => T;
  /** Called after objects were added, changed or removed, with their names. */
  readonly onChange: (names: ReadonlySet<string>) => void;
  /** Called when reading starts or stops failing (undefined: reading works again). */
  readonly onProblem: (problem: ReadProblem | undefined) => void;
  /** First retry delay after a failure, doubled up to `retryMaxMs`. @default 500 */
  readonly retryMinMs?: number;
  /** @default 5000 */
  readonly retryMaxMs?: number;
  /** A watch that delivers nothing (not even a bookmark) for this long is presumed dead and reopened. @default 150000 */
  readonly idleMs?: number;
}

/** The watch's version expired (or the watch went silent): relist at once. */
class Expired extends Error {}

/** A list or watch request failed; `verb` says which, for the permission message. */
class ReadFailed extends Error {
  constructor(
    public readonly verb: 'list' | 'watch',
    public readonly cause: unknown,
  ) {
    super(`${verb} failed`);
  }
}

/**
 * One collection kept in memory by list + watch: one list request, then one watch
 * from its resourceVersion, reopened when the server ends it, relisted when the
 * version expired, retried with backoff while the API server cannot be reached or
 * refuses. Every page and browser tab reads this one copy.
 */
export class WatchedList<T extends Named> {
  private readonly byName = new Map<string, T>();
  private stopped = true;
  private abortWatch?: () => void;
  private retryTimer?: { timer: NodeJS.Timeout; wake: () => void };
  private listed = false;
  private current?: ReadProblem;

  constructor(private readonly o: WatchedListOptions<T>) {}

  /** Objects now known, in name order. */
  public items(): T[] {
    return [...this.byName.values()].sort((a, b) => a.metadata.name.localeCompare(b.metadata.name));
  }

  /** One object by name. */
  public get(name: string): T | undefined {
    return this.byName.get(name);
  }

  /** True once a list succeeded: an empty {@link items} then means there is nothing. */
  public get synced(): boolean {
    return this.listed;
  }

  /** Why reading fails now, if it does. */
  public get problem(): ReadProblem | undefined {
    return this.current;
  }

  /** Starts listing and watching in the background. */
  public start(): void {
    if (!this.stopped) return;
    this.stopped = false;
    void this.run();
  }

  /** Stops the watch and any retry. */
  public stop(): void {
    this.stopped = true;
    this.abortWatch?.();
    if (this.retryTimer) {
      clearTimeout(this.retryTimer.timer);
      this.retryTimer.wake();
    }
  }

  private setProblem(p: ReadProblem | undefined): void {
    if (JSON.stringify(p) === JSON.stringify(this.current)) return;
    this.current = p;
    this.o.onProblem(p);
  }

  private keep(raw: T): T {
    return this.o.keep ? this.o.keep(raw) : raw;
  }

  private async run(): Promise<void> {
    let delay = this.o.retryMinMs ?? 500;
    while (!this.stopped) {
      try {
        let version = await this.list();
        this.setProblem(undefined);
        delay = this.o.retryMinMs ?? 500;
        while (!this.stopped) version = await this.watch(version);
      } catch (e) {
        if (this.stopped) return;
        if (!(e instanceof Expired)) {
          this.setProblem(
            e instanceof ReadFailed
              ? readProblem(e.cause, e.verb, this.o.target)
              : readProblem(e, 'list', this.o.target),
          );
          await this.sleep(delay);
          delay = Math.min(delay * 2, this.o.retryMaxMs ?? 5000);
        }
      }
    }
  }

  private sleep(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const timer = setTimeout(() => {
        this.retryTimer = undefined;
        resolve();
      }, ms);
      this.retryTimer = { timer, wake: resolve };
    });
  }

  private async list(): Promise<string | undefined> {
    let list: { items: T[]; metadata?: { resourceVersion?: string } };
    try {
      list = await this.o.client.request('GET', this.o.path, { query: this.o.query });
    } catch (e) {
      throw new ReadFailed('list', e);
    }
    const changed = new Set<string>(this.byName.keys());
    this.byName.clear();
    for (const item of list.items) {
      this.byName.set(item.metadata.name, this.keep(item));
      changed.add(item.metadata.name);
    }
    this.listed = true;
    this.o.onChange(changed);
    return list.metadata?.resourceVersion;
  }

  /** One watch from `version`; resolves to the version to continue from when the server ends it. */
  private async watch(version: string | undefined): Promise<string | undefined> {
    let last = version;
    let expired = false;
    let idle: NodeJS.Timeout | undefined;
    let events = 0;
    const started = Date.now();
    const w = this.o.client.watch(
      this.o.path,
      { ...this.o.query, resourceVersion: version, allowWatchBookmarks: 'true', timeoutSeconds: '120' },
      (e: WatchEvent) => {
        armIdle();
        events++;
        if (e.type === 'ERROR') {
          // Usually 410 Gone: the version is too old to watch from. Relist.
          expired = true;
          w.abort();
          return;
        }
        last = e.object.metadata?.resourceVersion ?? last;
        if (e.type === 'BOOKMARK') return;
        const obj = e.object as unknown as T;
        const name = obj.metadata.name;
        if (e.type === 'DELETED') this.byName.delete(name);
        else this.byName.set(name, this.keep(obj));
        this.o.onChange(new Set([name]));
      },
    );
    const armIdle = () => {
      if (idle) clearTimeout(idle);
      idle = setTimeout(() => {
        expired = true;
        w.abort();
      }, this.o.idleMs ?? 150_000);
    };
    this.abortWatch = w.abort;
    armIdle();
    try {
      await w.done;
    } catch (e) {
      throw new ReadFailed('watch', e);
    } finally {
      if (idle) clearTimeout(idle);
      this.abortWatch = undefined;
    }
    if (expired) throw new Expired('watch expired');
    // A server that ends every watch at once must not make this loop spin.
    if (events === 0 && Date.now() - started < 1000) await this.sleep(1000);
    return last;
  }
}
