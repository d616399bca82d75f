import { Html, html } from '../html';

/** What every page has around its own content. */
export interface PageFrame {
  /** The document title (prefix of " · synthops"). */
  readonly title: string;
  /** Which main navigation entry is current. @default undefined: none */
  readonly nav?: 'apps' | 'sources';
  /** Cluster context and namespace, shown in the header. */
  readonly context: string;
  /** The banner text (API server unreachable). @default undefined: no banner */
  readonly banner?: string;
  /** Heading and anything else that does not change while the page is open. */
  readonly head: Html;
  /** The part kept current by the client (and returned alone for fragment requests). */
  readonly live: Html;
  /** Which changes concern the live part: `all`, or `app:<AppSync name>`. */
  readonly scope: string;
  /** Also refresh the live part this often while visible (live objects are not watched). @default 0 */
  readonly refreshSeconds?: number;
}

/** A whole page: landmarks, skip link, navigation, banner, main content, footer. */
export function renderPage(f: PageFrame): Html {
  const current = (n: PageFrame['nav']) => (f.nav === n ? html` aria-current="page"` : '');
  return html`<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${f.title} · synthops</title>
<link rel="stylesheet" href="/assets/ui.css">
<link rel="icon" href="/assets/icon.svg" type="image/svg+xml">
<script src="/assets/live.js" defer></script>
</head>
<body>
<a class="skip" href="#main">Skip to content</a>
<header class="top">
<span class="brand">synthops</span>
<nav aria-label="Main"><ul><li><a href="/"${current('apps')}>Apps</a></li><li><a href="/sources"${current('sources')}>Sources</a></li></ul></nav>
<span class="context">${f.context}</span>
</header>
<div id="banner" role="status" aria-live="polite"${f.banner ? '' : html` hidden`}>${f.banner ?? ''}</div>
<main id="main" tabindex="-1">
${f.head}
<div id="live" data-scope="${f.scope}" data-refresh-seconds="${f.refreshSeconds ?? 0}">
${f.live}
</div>
</main>
<footer>Read-only view, as your own Kubernetes user. Pages update by themselves while open.</footer>
</body>
</html>
`;
}

/** Breadcrumbs: links to the levels above, then the current page. */
export function crumbs(items: ReadonlyArray<readonly [label: string, href: string | undefined]>): Html {
  return html`<nav class="crumbs" aria-label="Breadcrumb"><ol>${items.map(([label, href]) => (href ? html`<li><a href="${href}">${label}</a></li>` : html`<li aria-current="page">${label}</li>`))}</ol></nav>`;
}
