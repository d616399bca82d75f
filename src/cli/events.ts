import { AppSync, STATUS_KIND, StatusStore } from '../agent/state/status-store';
import { isGone } from '../kube/errors';
import { KubeClient } from '../kube/client';
import { selectAppSyncs } from './app-select';
import { agentNamespaceOf } from './cluster-options';
import { ClusterFlags, clusterClient } from './kube-flags';
import { Output } from './output';
import { ago, document, oneLine, outputFormat, printDocument, table } from './output-format';

/** Flags of `synthops events`. */
export interface EventsCommandOptions extends ClusterFlags {
  /** `-n, --namespace`: the agent's namespace. @default 'synthops-system' */
  readonly namespace?: string;
  /** `--agent-namespace`, the older spelling of `--namespace`. @default 'synthops-system' */
  readonly agentNamespace?: string;
  /** `--env`: only this environment. @default - every environment */
  readonly env?: string;
  /** `--watch`: after the list, print new Events as they come, until interrupted. @default false */
  readonly watch?: boolean;
  /** `-o`: table, wide, json or yaml. @default 'table' */
  readonly output?: string;
}

/** An Event as the API returns it (the fields used here). */
interface KubeEvent {
  readonly metadata?: { readonly uid?: string; readonly resourceVersion?: string; readonly creationTimestamp?: string };
  readonly involvedObject?: { readonly kind?: string; readonly name?: string };
  readonly type: string;
  readonly reason: string;
  readonly message: string;
  readonly count?: number;
  readonly firstTimestamp?: string;
  readonly lastTimestamp?: string;
  readonly eventTime?: string;
}

/** One Event on an AppSync, as `events -o json|yaml` prints it (kind `EventList`; with `--watch -o json`, one per line). */
export interface EventItem {
  /** When it last happened (RFC 3339), or null. */
  readonly time: string | null;
  /** Normal or Warning. */
  readonly type: string;
  /** Applied, Pruned, PruneHeld, ReconcileFailed, HealthCheckFailed, DriftRepaired, SourceFailed, BuildFailed, HistoryRewritten. */
  readonly reason: string;
  readonly message: string;
  readonly count: number;
  readonly app: string;
  readonly env: string;
  /** The AppSync it is recorded on. */
  readonly appSync: string;
}

function timeOf(e: KubeEvent): string | undefined {
  return e.lastTimestamp ?? e.eventTime ?? e.firstTimestamp ?? e.metadata?.creationTimestamp;
}

/** The machine-readable form of an Event on `sync`. */
export function eventItem(
  e: Omit<KubeEvent, 'involvedObject' | 'metadata'> & Partial<Pick<KubeEvent, 'metadata'>>,
  sync: AppSync,
): EventItem {
  return {
    time: timeOf(e) ?? null,
    type: e.type,
    reason: e.reason,
    message: e.message,
    count: e.count ?? 1,
    app: sync.spec.app,
    env: sync.spec.env,
    appSync: sync.metadata.name,
  };
}

function row(i: EventItem, wide: boolean): string[] {
  const base = [ago(i.time ?? undefined), i.type, i.reason, i.app, i.env];
  return wide ? [...base, String(i.count), i.time ?? '-', oneLine(i.message, 400)] : [...base, oneLine(i.message, 120)];
}

function header(wide: boolean): string[] {
  const base = ['LAST SEEN', 'TYPE', 'REASON', 'APP', 'ENV'];
  return wide ? [...base, 'COUNT', 'TIME', 'MESSAGE'] : [...base, 'MESSAGE'];
}

// Watched rows cannot be aligned on what comes later: fixed widths.
const WATCH_WIDTHS = [10, 9, 20, 24, 10, 7, 26];

function fixedRow(cells: readonly string[]): string {
  return cells
    .map((c, i) => (i < cells.length - 1 ? c.padEnd(WATCH_WIDTHS[i] ?? 12) : c))
    .join(' ')
    .trimEnd();
}

/** Reads the Events of the AppSyncs in one namespace, once or as a watch. */
class AppSyncEvents {
  constructor(
    private readonly client: KubeClient,
    private readonly namespace: string,
  ) {}

  private get path(): string {
    return `/api/v1/namespaces/${this.namespace}/events`;
  }

  public async list(): Promise<{ items: KubeEvent[]; resourceVersion?: string }> {
    const l = await this.client.request<{ items: KubeEvent[]; metadata?: { resourceVersion?: string } }>(
      'GET',
      this.path,
      { query: { fieldSelector: `involvedObject.kind=${STATUS_KIND}` } },
    );
    return { items: l.items, resourceVersion: l.metadata?.resourceVersion };
  }

  /** Watches from `resourceVersion` until `stop()`; reconnects, and relists when the version is too old. */
  public watch(
    resourceVersion: string | undefined,
    onEvent: (e: KubeEvent) => void,
  ): { done: Promise<void>; stop: () => void } {
    let stopped = false;
    let abort: () => void = () => undefined;
    const done = (async () => {
      let rv = resourceVersion;
      while (!stopped) {
        try {
          if (!rv) {
            const l = await this.list();
            for (const e of l.items) onEvent(e); // the caller skips what it printed already
            rv = l.resourceVersion;
          }
          const h = this.client.watch(
            this.path,
            {
              fieldSelector: `involvedObject.kind=${STATUS_KIND}`,
              resourceVersion: rv,
              allowWatchBookmarks: 'true',
              timeoutSeconds: '300',
            },
            (w) => {
              if (w.type === 'ERROR') {
                if (w.object.code === 410) rv = undefined;
                return;
              }
              if (w.object.metadata?.resourceVersion) rv = w.object.metadata.resourceVersion;
              if (w.type === 'ADDED' || w.type === 'MODIFIED') onEvent(w.object as unknown as KubeEvent);
            },
          );
          abort = h.abort;
          if (stopped) h.abort();
          await h.done;
        } catch (e) {
          if (stopped) return;
          if (isGone(e)) rv = undefined;
          else throw e;
        }
      }
    })();
    return {
      done,
      stop: () => {
        stopped = true;
        abort();
      },
    };
  }
}

/** `synthops events [app]`: recent Events of the AppSyncs, oldest first; `--watch` follows new ones. */
export async function runEvents(app: string | undefined, opts: EventsCommandOptions, io: Output): Promise<number> {
  const format = outputFormat(opts.output);
  const namespace = agentNamespaceOf(opts);
  const client = clusterClient(opts);
  try {
    const store = new StatusStore(client, namespace);
    const reader = new AppSyncEvents(client, namespace);
    let syncs = new Map((await selectAppSyncs(store, { app, env: opts.env })).map((s) => [s.metadata.name, s]));
    const wanted = async (e: KubeEvent): Promise<EventItem | undefined> => {
      const name = e.involvedObject?.name ?? '';
      // An AppSync created after the start (a new app) is looked up once it has Events.
      if (!syncs.has(name) && opts.watch && !app)
        syncs = new Map((await selectAppSyncs(store, { env: opts.env })).map((s) => [s.metadata.name, s]));
      const s = syncs.get(name);
      return s ? eventItem(e, s) : undefined;
    };
    const listed = await reader.list();
    const items: EventItem[] = [];
    const seen = new Set<string>();
    for (const e of listed.items) {
      seen.add(`${e.metadata?.uid}/${e.metadata?.resourceVersion}`);
      const i = await wanted(e);
      if (i) items.push(i);
    }
    items.sort((a, b) => (a.time ?? '').localeCompare(b.time ?? ''));
    const wide = format === 'wide';
    if (!opts.watch) {
      if (format === 'json' || format === 'yaml')
        printDocument(io, format, document('EventList', items, { namespace }));
      else if (items.length === 0) io.out(`no events for ${app ? `app ${app}` : 'any app'} in namespace ${namespace}`);
      else for (const l of table([header(wide), ...items.map((i) => row(i, wide))])) io.out(l);
      return 0;
    }
    // Watching: one line (or document) per Event, as it comes.
    const print = (i: EventItem) => {
      if (format === 'json') io.out(JSON.stringify(i));
      else if (format === 'yaml') {
        io.out('---');
        printDocument(io, 'yaml', i);
      } else io.out(fixedRow(row(i, wide)));
    };
    if (format === 'table' || format === 'wide') io.out(fixedRow(header(wide)));
    for (const i of items) print(i);
    let chain = Promise.resolve();
    const w = reader.watch(listed.resourceVersion, (e) => {
      const key = `${e.metadata?.uid}/${e.metadata?.resourceVersion}`;
      if (seen.has(key)) return;
      seen.add(key);
      // In order, though looking up a new AppSync takes a request.
      chain = chain
        .then(async () => {
          const i = await wanted(e);
          if (i) print(i);
        })
        .catch(() => undefined);
    });
    await new Promise<void>((resolve, reject) => {
      process.once('SIGINT', () => resolve());
      process.once('SIGTERM', () => resolve());
      w.done.then(resolve, reject);
    });
    w.stop();
    await chain;
    return 0;
  } finally {
    client.close();
  }
}
