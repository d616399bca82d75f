/**
 * The only script of the UI: keeps an open page current. It listens to /events
 * (Server-Sent Events) and, when something this page shows changed, fetches the same
 * URL as a fragment and swaps the `#live` region; the banner says when the API
 * server or the UI server is away. Pages work without it (the overview fully).
 *
 * It is written as a typed function against the few DOM members it uses (the project
 * compiles without the DOM library) and served as that function's compiled source.
 */

interface ClientElement {
  innerHTML: string;
  textContent: string | null;
  hidden: boolean;
  readonly dataset: Record<string, string | undefined>;
  querySelector(selector: string): ClientElement | null;
  getAttribute(name: string): string | null;
  focus(): void;
}

interface ClientDocument {
  getElementById(id: string): ClientElement | null;
  readonly activeElement: ClientElement | null;
  readonly visibilityState: string;
}

interface ClientEventSource {
  addEventListener(type: string, listener: (e: { readonly data: string }) => void): void;
  onopen: (() => void) | null;
  onerror: (() => void) | null;
}

/** The part of `window` the client uses. */
export interface ClientWindow {
  readonly document: ClientDocument;
  readonly location: { readonly href: string };
  readonly EventSource: new (url: string) => ClientEventSource;
  readonly CSS: { escape(value: string): string };
  fetch(
    url: string,
    init: { headers: Record<string, string>; cache: string },
  ): Promise<{ readonly status: number; text(): Promise<string> }>;
  setInterval(fn: () => void, ms: number): unknown;
  setTimeout(fn: () => void, ms: number): unknown;
}

/** Runs in the browser. Must not reference anything outside itself: it is sent as its source text. */
export function liveClient(win: ClientWindow): void {
  const doc = win.document;
  const live = doc.getElementById('live');
  const banner = doc.getElementById('banner');
  if (!live) return;
  // "all", or "app:<AppSync name>" on an app's own pages.
  const scope = live.dataset.scope ?? 'all';
  const every = Number(live.dataset.refreshSeconds ?? '0');
  let apiProblem: string | undefined = banner && !banner.hidden ? (banner.textContent ?? undefined) : undefined;
  let lost = false;
  let busy = false;
  let again = false;
  let waiting = false;
  let last = 0;
  // While many apps change at once (a full reconcile of 1000 apps), refresh at most this often.
  const minGapMs = 500;

  const show = (text: string | undefined): void => {
    if (!banner) return;
    banner.textContent = text ?? '';
    banner.hidden = !text;
  };

  const refresh = async (): Promise<void> => {
    if (busy) {
      again = true;
      return;
    }
    const wait = last + minGapMs - Date.now();
    if (wait > 0) {
      if (!waiting) {
        waiting = true;
        win.setTimeout(() => {
          waiting = false;
          void refresh();
        }, wait);
      }
      return;
    }
    busy = true;
    last = Date.now();
    try {
      const r = await win.fetch(win.location.href, { headers: { 'X-Synthops-Fragment': 'live' }, cache: 'no-store' });
      const text = await r.text();
      // Keep keyboard focus on the same link across the swap.
      const href = doc.activeElement?.getAttribute('href') ?? null;
      live.innerHTML = text;
      if (href) live.querySelector(`a[href="${win.CSS.escape(href)}"]`)?.focus();
      live.dataset.updated = String(Number(live.dataset.updated ?? '0') + 1);
    } catch {
      // The UI server is away: the stream's error handler says so.
    } finally {
      busy = false;
      if (again) {
        again = false;
        void refresh();
      }
    }
  };

  const concerns = (names: readonly string[]): boolean =>
    scope === 'all' || names.includes('*') || names.includes(scope.slice('app:'.length));

  const events = new win.EventSource('/events');
  events.addEventListener('appsyncs', (e) => {
    if (concerns((JSON.parse(e.data) as { names: string[] }).names)) void refresh();
  });
  events.addEventListener('events', (e) => {
    if (scope !== 'all' && concerns((JSON.parse(e.data) as { appsyncs: string[] }).appsyncs)) void refresh();
  });
  events.addEventListener('problem', (e) => {
    apiProblem = (JSON.parse(e.data) as { banner?: string }).banner ?? undefined;
    if (!lost) show(apiProblem);
  });
  events.onerror = () => {
    lost = true;
    show('Lost the connection to synthops ui; reconnecting.');
  };
  events.onopen = () => {
    if (!lost) return;
    lost = false;
    show(apiProblem);
    void refresh();
  };
  if (every > 0) {
    win.setInterval(() => {
      if (doc.visibilityState === 'visible') void refresh();
    }, every * 1000);
  }
}

/** The script as served: the compiled function, called with the browser's window. */
export const CLIENT_JS = `"use strict";\n(${liveClient.toString()})(window);\n`;
