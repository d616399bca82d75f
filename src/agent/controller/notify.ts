import * as http from 'http';
import * as https from 'https';
import { Logger } from './log';
import {
  Notification,
  NotifyFormat,
  NotifySettings,
  OutgoingRequest,
  SyncReport,
  alertRequest,
  commitStateOf,
  isForge,
  statusRequest,
} from './notify-payload';

export type { Notification, NotificationKind, NotifyFormat, SyncReport } from './notify-payload';

const ATTEMPTS = 4;

/** Options of {@link Notifier} beyond URL and format. */
export interface NotifierOptions {
  /** Message template (`{{app}} {{env}} {{revision}} {{reason}} {{message}}`), checked by the caller. @default - the built-in wording */
  readonly template?: string;
  /** API token of github/gitlab; sent in a header only, never logged. @default - none */
  readonly token?: string;
  /** Forge repo path of the statuses. @default - derived from the Source-Repo trailer, else from `deployRepo` */
  readonly repo?: string;
  /** The deploy repo URL, for statuses on deploy commits. @default - none */
  readonly deployRepo?: string;
}

/** A delivery answered with an HTTP status that is not 2xx. */
export class NotifyHttpError extends Error {
  constructor(public readonly status: number) {
    super(`HTTP ${status}`);
    this.name = 'NotifyHttpError';
  }
}

/**
 * Posts alerts to a webhook URL (json, slack, msteams, discord), or the apps' sync
 * state as commit statuses (github, gitlab). Delivery runs in the background with a
 * few retries; failures are logged (status code, never the URL or token) and never
 * block or fail a reconcile. Updates of one commit status are sent in order, and a
 * repeat of the state last sent is skipped.
 */
export class Notifier {
  private pending = new Set<Promise<void>>();
  private readonly settings?: NotifySettings;
  /** Per commit status: the tail of its delivery chain and the state last queued. */
  private statuses = new Map<string, { tail: Promise<void>; state: string }>();
  private warnedNoRepo = false;

  constructor(
    url: string | undefined,
    format: NotifyFormat,
    private readonly log: Logger,
    private readonly backoffMs = 500,
    options: NotifierOptions = {},
  ) {
    this.settings = url ? { url, format, ...options } : undefined;
  }

  /** Sends alert `n` (no-op without a URL). For github/gitlab, only a revision that failed as a whole becomes a status. */
  public send(n: Notification): void {
    const s = this.settings;
    if (!s) return;
    if (isForge(s.format)) {
      // App alerts are covered by the app's status; a revision that could not be loaded has no app.
      if (n.kind === 'ReconcileFailed' && !n.app && n.revision)
        this.report({ ...n, revision: n.revision, reason: 'BuildFailed' });
      return;
    }
    const req = alertRequest(n, s, new Date());
    if (req) this.track(this.deliver(req, { kind: n.kind, app: n.app }));
  }

  /** Sends an app's sync state as a commit status (github/gitlab only; no-op otherwise). */
  public sync(r: SyncReport): void {
    this.report(r);
  }

  /** Resolves when every queued notification was delivered or given up (for shutdown and tests). */
  public async flush(): Promise<void> {
    while (this.pending.size > 0) await Promise.all([...this.pending]);
  }

  private report(r: Omit<SyncReport, 'app' | 'env'> & { app?: string; env?: string }): void {
    const s = this.settings;
    if (!s) return;
    // A suspended app gets no status.
    if (!isForge(s.format) || commitStateOf(r.reason) === undefined) return;
    const req = statusRequest(r, s);
    if (!req) {
      if (!this.warnedNoRepo) this.log.warn({ app: r.app }, 'commit status skipped: no forge repo (set --notify-repo)');
      this.warnedNoRepo = true;
      return;
    }
    const last = this.statuses.get(req.key);
    if (last?.state === req.fingerprint) return;
    // After the previous update of this status, so a late retry never overwrites a newer state.
    const tail = (last?.tail ?? Promise.resolve()).then(() =>
      this.deliver(req, { app: r.app, revision: r.revision, status: req.fingerprint }),
    );
    this.statuses.set(req.key, { tail, state: req.fingerprint });
    this.track(tail);
  }

  private track(p: Promise<void>): void {
    const q = p.finally(() => this.pending.delete(q));
    this.pending.add(q);
  }

  private async deliver(req: OutgoingRequest, what: Record<string, unknown>): Promise<void> {
    for (let attempt = 1; attempt <= ATTEMPTS; attempt++) {
      try {
        await post(req);
        return;
      } catch (e) {
        const code = e instanceof NotifyHttpError ? e.status : undefined;
        // The message is an HTTP status or a socket error: neither holds the URL or the token.
        this.log.warn({ ...what, attempt, code, err: (e as Error).message }, 'notification delivery failed');
        // A refusal (bad token, unknown repo or commit) does not change on a retry; a rate limit does.
        if (code !== undefined && code >= 400 && code < 500 && code !== 429) {
          this.log.error({ ...what, code }, 'notification refused; not retried');
          return;
        }
        if (attempt < ATTEMPTS) await new Promise((r) => setTimeout(r, this.backoffMs * 2 ** (attempt - 1)));
        else this.log.error(what, 'notification dropped after retries');
      }
    }
  }
}

function post(r: OutgoingRequest): Promise<void> {
  return new Promise((resolve, reject) => {
    const u = new URL(r.url);
    const lib = u.protocol === 'http:' ? http : https;
    const req = lib.request(
      u,
      {
        method: 'POST',
        headers: { ...r.headers, 'Content-Length': Buffer.byteLength(r.body) },
        timeout: 5000,
      },
      (res) => {
        res.resume();
        res.on('end', () =>
          (res.statusCode ?? 0) < 300 ? resolve() : reject(new NotifyHttpError(res.statusCode ?? 0)),
        );
      },
    );
    req.on('timeout', () => req.destroy(new Error('timed out')));
    req.on('error', reject);
    req.end(r.body);
  });
}
