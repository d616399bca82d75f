import { createHash } from 'crypto';
import * as http from 'http';
import { AddressInfo } from 'net';
import { Discovery } from '../kube/discovery';
import type { KubeClient } from '../kube/client';
import type { AppSync } from '../agent/state/status-store';
import { describeObject, identityKey } from '../model/manifest';
import { CLIENT_JS } from './assets/client';
import { ICON_SVG } from './assets/icon';
import { STYLE } from './assets/style';
import { ClusterView, ViewChange } from './cluster-view';
import { DeployRepo } from './deploy-repo';
import { Html, html } from './html';
import { InventoryReader } from './live-inventory';
import { ObjectViewer } from './object-view';
import { buildOverview, parseFilter } from './overview-model';
import { renderAppLive } from './pages/app';
import { PageFrame, crumbs, renderPage } from './pages/layout';
import { renderObjectLive } from './pages/object';
import { renderFilterForm, renderOverviewLive } from './pages/overview';
import { renderProblem } from './pages/problem';
import { renderSourcesLive } from './pages/sources';
import { SseHub } from './sse';
import { Route, appUrl, parseRoute } from './routes';

/** Options of a {@link UiServer}. */
export interface UiServerOptions {
  /** The user's own client (their kubeconfig and context). */
  readonly client: KubeClient;
  /** The agent's namespace: AppSyncs, their Events. */
  readonly namespace: string;
  /** How the header names the cluster, e.g. the context name. */
  readonly contextLabel: string;
  /** The deploy branch, for desired objects and the branch history. @default undefined: compare with the last applied state */
  readonly repo?: DeployRepo;
  /** Retry delays of the watches (tests shorten them). @default 500 */
  readonly retryMinMs?: number;
  /** @default 5000 */
  readonly retryMaxMs?: number;
}

interface Asset {
  readonly type: string;
  readonly body: string;
  readonly etag: string;
}

function asset(type: string, body: string): Asset {
  return { type, body, etag: `"${createHash('sha256').update(body).digest('hex').slice(0, 16)}"` };
}

const ASSETS: Readonly<Record<string, Asset>> = {
  'ui.css': asset('text/css; charset=utf-8', STYLE),
  'live.js': asset('text/javascript; charset=utf-8', CLIENT_JS),
  'icon.svg': asset('image/svg+xml', ICON_SVG),
};

// Everything the page loads comes from this server; nothing inline, nothing elsewhere.
const SECURITY_HEADERS = {
  'Content-Security-Policy':
    "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self'; connect-src 'self'; form-action 'self'; base-uri 'none'; frame-ancestors 'none'",
  'X-Content-Type-Options': 'nosniff',
  'Referrer-Policy': 'no-referrer',
  'X-Frame-Options': 'DENY',
};

/** More names than this in one change: the pages are told "everything". */
const MAX_NAMES = 200;

interface Rendered {
  readonly status: number;
  readonly frame: PageFrame;
}

/**
 * The read-only dashboard: server-rendered pages on 127.0.0.1 from one shared view of
 * the agent namespace, kept current in open pages through Server-Sent Events.
 * Only GET and HEAD; requests naming another host are refused (DNS rebinding), since
 * the pages act with the user's own credentials.
 */
export class UiServer {
  private readonly server: http.Server;
  private readonly view: ClusterView;
  private readonly hub = new SseHub();
  private readonly inventory: InventoryReader;
  private readonly objects: ObjectViewer;
  private readonly unsubscribe: () => void;
  private port = 0;

  constructor(private readonly o: UiServerOptions) {
    this.view = new ClusterView({
      client: o.client,
      namespace: o.namespace,
      retryMinMs: o.retryMinMs,
      retryMaxMs: o.retryMaxMs,
    });
    const discovery = new Discovery(o.client);
    this.inventory = new InventoryReader(o.client, discovery);
    this.objects = new ObjectViewer(o.client, discovery, o.repo);
    this.unsubscribe = this.view.subscribe((c) => this.push(c));
    this.server = http.createServer((req, res) => {
      this.handle(req, res).catch((e: Error) => {
        if (!res.headersSent) res.writeHead(500, { 'Content-Type': 'text/plain; charset=utf-8', ...SECURITY_HEADERS });
        res.end(`internal error: ${e.message}\n`);
      });
    });
  }

  /** Starts the watches and listens on 127.0.0.1 (`port` 0: any free port); resolves to the port. */
  public async listen(port: number): Promise<number> {
    this.view.start();
    await new Promise<void>((resolve, reject) => {
      this.server.once('error', reject);
      this.server.listen(port, '127.0.0.1', () => resolve());
    });
    this.port = (this.server.address() as AddressInfo).port;
    return this.port;
  }

  /** The URL pages are served at. */
  public get url(): string {
    return `http://127.0.0.1:${this.port}/`;
  }

  /** Open event streams (browser tabs). */
  public get streams(): number {
    return this.hub.size;
  }

  /** Stops the watches and the server, ending open streams. */
  public async close(): Promise<void> {
    this.unsubscribe();
    this.view.stop();
    this.hub.close();
    const closed = new Promise<void>((resolve) => this.server.close(() => resolve()));
    // Browsers keep connections open; without this, close would wait for them.
    this.server.closeAllConnections();
    await closed;
  }

  private push(c: ViewChange): void {
    if (c.kind === 'appsyncs') this.hub.broadcast('appsyncs', { names: c.names.length > MAX_NAMES ? ['*'] : c.names });
    else if (c.kind === 'events')
      this.hub.broadcast('events', { appsyncs: c.appsyncs.length > MAX_NAMES ? ['*'] : c.appsyncs });
    else this.hub.broadcast('problem', { banner: c.banner ?? null });
  }

  private allowedHost(host: string | undefined): boolean {
    return host === `127.0.0.1:${this.port}` || host === `localhost:${this.port}`;
  }

  private async handle(req: http.IncomingMessage, res: http.ServerResponse): Promise<void> {
    if (!this.allowedHost(req.headers.host)) {
      res.writeHead(421, { 'Content-Type': 'text/plain; charset=utf-8', ...SECURITY_HEADERS });
      res.end('synthops ui answers only to http://127.0.0.1 and http://localhost\n');
      return;
    }
    if (req.method !== 'GET' && req.method !== 'HEAD') {
      res.writeHead(405, { Allow: 'GET, HEAD', 'Content-Type': 'text/plain; charset=utf-8', ...SECURITY_HEADERS });
      res.end('synthops ui is read-only\n');
      return;
    }
    const url = new URL(req.url ?? '/', 'http://127.0.0.1');
    const route = parseRoute(url.pathname);
    if (route.page === 'events') {
      this.hub.add(res, [{ event: 'problem', data: { banner: this.view.banner() ?? null } }]);
      return;
    }
    if (route.page === 'asset') return this.serveAsset(route.file, req, res);
    const rendered = await this.render(route, url);
    const fragment = req.headers['x-synthops-fragment'] === 'live';
    const body = fragment ? rendered.frame.live : renderPage(rendered.frame);
    res.writeHead(rendered.status, {
      'Content-Type': 'text/html; charset=utf-8',
      'Cache-Control': 'no-store',
      Vary: 'X-Synthops-Fragment',
      ...SECURITY_HEADERS,
    });
    res.end(req.method === 'HEAD' ? undefined : body.text);
  }

  private serveAsset(file: string, req: http.IncomingMessage, res: http.ServerResponse): void {
    const a = Object.prototype.hasOwnProperty.call(ASSETS, file) ? ASSETS[file] : undefined;
    if (!a) {
      res.writeHead(404, { 'Content-Type': 'text/plain; charset=utf-8', ...SECURITY_HEADERS });
      res.end('no such asset\n');
      return;
    }
    const headers = { 'Content-Type': a.type, 'Cache-Control': 'no-cache', ETag: a.etag, ...SECURITY_HEADERS };
    if (req.headers['if-none-match'] === a.etag) {
      res.writeHead(304, headers);
      res.end();
      return;
    }
    res.writeHead(200, headers);
    res.end(req.method === 'HEAD' ? undefined : a.body);
  }

  private frame(f: Omit<PageFrame, 'context' | 'banner'>): PageFrame {
    return { ...f, context: `${this.o.contextLabel} · namespace ${this.o.namespace}`, banner: this.view.banner() };
  }

  private notFound(message: Html | string): Rendered {
    return {
      status: 404,
      frame: this.frame({
        title: 'Not found',
        head: html`<h1>Not found</h1>`,
        live: html`<p>${message}</p><p><a href="/">All apps</a></p>`,
        scope: 'all',
      }),
    };
  }

  /** The app of an app or object page, or the page to show instead. */
  private lookup(namespace: string, name: string): { readonly sync: AppSync } | { readonly page: Rendered } {
    if (namespace !== this.o.namespace)
      return { page: this.notFound(`This UI reads the agent namespace ${this.o.namespace}, not ${namespace}.`) };
    const sync = this.view.appsyncs.get(name);
    if (sync) return { sync };
    const problem = this.view.syncProblem;
    if (problem || !this.view.appsyncs.synced) {
      const live = problem ? renderProblem(problem, 'This page') : html`<p>Reading AppSyncs…</p>`;
      return {
        page: {
          status: 200,
          frame: this.frame({
            title: name,
            head: html`${crumbs([
              ['Apps', '/'],
              [name, undefined],
            ])}<h1>${name}</h1>`,
            live,
            scope: `app:${name}`,
          }),
        },
      };
    }
    return {
      page: this.notFound(
        `No app ${name} in namespace ${namespace}: the agent has not written its AppSync, or removed it.`,
      ),
    };
  }

  private async render(route: Route, url: URL): Promise<Rendered> {
    switch (route.page) {
      case 'overview': {
        const filter = parseFilter(url.searchParams);
        const syncs = this.view.appsyncs.items();
        const overview = buildOverview(syncs, filter);
        return {
          status: 200,
          frame: this.frame({
            title: 'Apps',
            nav: 'apps',
            scope: 'all',
            head: html`<h1>Apps</h1>${renderFilterForm(filter, overview.envs)}`,
            live: renderOverviewLive(overview, syncs, filter, this.view.syncProblem, this.view.appsyncs.synced),
          }),
        };
      }
      case 'app': {
        const found = this.lookup(route.namespace, route.name);
        if ('page' in found) return found.page;
        const { sync } = found;
        let inventory: Awaited<ReturnType<typeof this.inventory.read>> | undefined;
        let inventoryError: string | undefined;
        try {
          inventory = await this.inventory.read(sync.spec.app, sync.status?.inventory ?? []);
        } catch (e) {
          inventoryError = `The live objects could not be read: ${(e as Error).message}`;
        }
        const repo = this.o.repo?.where;
        return {
          status: 200,
          frame: this.frame({
            title: `${sync.spec.app} (${sync.spec.env})`,
            nav: 'apps',
            scope: `app:${sync.metadata.name}`,
            refreshSeconds: 10,
            head: html`${crumbs([
              ['Apps', '/'],
              [`${sync.spec.app} (${sync.spec.env})`, undefined],
            ])}<h1>${sync.spec.app} <span class="muted">${sync.spec.env}</span></h1>`,
            live: renderAppLive({
              sync,
              events: this.view.eventsOf(sync.metadata.name),
              eventsProblem: this.view.events.problem,
              inventory,
              inventoryError,
              repo,
            }),
          }),
        };
      }
      case 'object': {
        const found = this.lookup(route.namespace, route.name);
        if ('page' in found) return found.page;
        const { sync } = found;
        const key = identityKey(route.ref);
        const inInventory = (sync.status?.inventory ?? []).find((r) => identityKey(r) === key);
        if (!inInventory)
          return this.notFound(
            `${describeObject(route.ref)} is not in the inventory of ${sync.spec.app} (${sync.spec.env}).`,
          );
        const v = await this.objects.view(sync, { ...route.ref, apiVersion: inInventory.apiVersion });
        const title = describeObject(route.ref);
        return {
          status: 200,
          frame: this.frame({
            title,
            nav: 'apps',
            scope: `app:${sync.metadata.name}`,
            refreshSeconds: 10,
            head: html`${crumbs([
              ['Apps', '/'],
              [`${sync.spec.app} (${sync.spec.env})`, appUrl(sync.metadata.namespace, sync.metadata.name)],
              [title, undefined],
            ])}<h1>${title}</h1>`,
            live: renderObjectLive(sync, v),
          }),
        };
      }
      case 'sources': {
        const repo = this.o.repo;
        const commits = repo ? await repo.history() : [];
        return {
          status: 200,
          frame: this.frame({
            title: 'Sources',
            nav: 'sources',
            scope: 'all',
            head: html`<h1>Sources</h1>`,
            live: renderSourcesLive({
              syncs: this.view.appsyncs.items(),
              problem: this.view.syncProblem,
              repo: repo ? { ...repo.where, ...repo.fetchState, commits } : undefined,
            }),
          }),
        };
      }
      default:
        return this.notFound(`Nothing at ${url.pathname}.`);
    }
  }
}
