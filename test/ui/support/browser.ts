/**
 * Headless Chromium for the UI tests: Debian's package driven by playwright-core, no
 * browser download. Each page records console errors, page errors, dialogs and every
 * request URL, so a test can check nothing failed and nothing left 127.0.0.1.
 */
import { execFileSync } from 'child_process';
import * as fs from 'fs';
import type { TestContext } from 'node:test';
import { Browser, ConsoleMessage, Page, chromium } from 'playwright-core';

/** Path of the browser: SYNTHOPS_CHROMIUM, else Debian's `chromium`. */
export const CHROMIUM = process.env.SYNTHOPS_CHROMIUM ?? '/usr/bin/chromium';

function hasAptGet(): boolean {
  try {
    execFileSync('sh', ['-c', 'command -v apt-get'], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}

let ensured = false;

/**
 * Makes sure Chromium is installed: as root with apt-get it installs Debian's package
 * (as the control plane builds itself); otherwise it fails saying how to get it.
 * Never skips: a UI test that cannot run a browser is a failure.
 */
export function ensureChromium(): string {
  if (ensured || fs.existsSync(CHROMIUM)) {
    ensured = true;
    return CHROMIUM;
  }
  if (process.getuid?.() === 0 && hasAptGet() && !process.env.SYNTHOPS_CHROMIUM) {
    process.stderr.write("ui tests: installing Debian's chromium package (apt-get)\n");
    execFileSync('sh', ['-c', 'apt-get update -q && DEBIAN_FRONTEND=noninteractive apt-get install -y -q chromium'], {
      stdio: ['ignore', 'ignore', 'inherit'],
    });
  }
  if (!fs.existsSync(CHROMIUM)) {
    throw new Error(
      `ui tests need Chromium at ${CHROMIUM}: install Debian's package (apt-get install chromium) or set SYNTHOPS_CHROMIUM to a Chromium binary`,
    );
  }
  ensured = true;
  return CHROMIUM;
}

/** A page with what it logged and asked for. */
export interface WatchedPage {
  readonly page: Page;
  /** Console errors, uncaught page errors and dialogs (an alert() means injected script ran). */
  readonly problems: string[];
  /** Every URL the page requested. */
  readonly requests: string[];
}

/** A browser for one test, closed when it ends. */
export class TestBrowser {
  private readonly pages: WatchedPage[] = [];

  private constructor(private readonly browser: Browser) {}

  /** Launches Chromium headless (installed first if needed). */
  public static async launch(t: TestContext): Promise<TestBrowser> {
    const browser = await chromium.launch({ executablePath: ensureChromium(), args: ['--no-sandbox'] });
    const b = new TestBrowser(browser);
    t.after(() => b.close());
    return b;
  }

  /** A new page in a fresh context, in a colour scheme, with or without JavaScript. */
  public async page(
    colorScheme: 'light' | 'dark' = 'light',
    o: { readonly javaScript?: boolean; readonly viewport?: { width: number; height: number } } = {},
  ): Promise<WatchedPage> {
    const context = await this.browser.newContext({
      colorScheme,
      viewport: o.viewport ?? { width: 1280, height: 900 },
      javaScriptEnabled: o.javaScript ?? true,
    });
    const page = await context.newPage();
    const w: WatchedPage = { page, problems: [], requests: [] };
    page.on('console', (m: ConsoleMessage) => {
      if (m.type() === 'error') w.problems.push(`console: ${m.text()}`);
    });
    page.on('pageerror', (e) => w.problems.push(`page error: ${e.message}`));
    page.on('dialog', (d) => {
      w.problems.push(`dialog: ${d.message()}`);
      void d.dismiss();
    });
    page.on('request', (r) => w.requests.push(r.url()));
    this.pages.push(w);
    return w;
  }

  /** Closes every page and the browser. */
  public async close(): Promise<void> {
    await this.browser.close().catch(() => undefined);
  }
}

/** Requests that went anywhere but the UI server on 127.0.0.1. */
export function foreignRequests(w: WatchedPage): string[] {
  return w.requests.filter((u) => new URL(u).hostname !== '127.0.0.1');
}
