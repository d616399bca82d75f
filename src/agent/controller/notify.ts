import * as http from 'http';
import * as https from 'https';
import { Logger } from './log';

/** What the agent alerts on. */
export type NotificationKind =
  | 'ReconcileFailed'
  | 'PruneHeld'
  | 'HealthDegraded'
  | 'DriftRepaired'
  | 'SourceFailed'
  | 'HistoryRewritten';

/** One alert. */
export interface Notification {
  readonly kind: NotificationKind;
  /** App the alert is about. @default - none: the alert is not about one app */
  readonly app?: string;
  /** Environment of that app. @default - none: the alert is not about one app */
  readonly env?: string;
  /** Commit sha the alert is about. @default - none: no revision was fetched */
  readonly revision?: string;
  readonly message: string;
}

/** Payload format: synthops JSON, or a Slack-compatible `{ text }`. */
export type NotifyFormat = 'json' | 'slack';

const ATTEMPTS = 4;

/**
 * Posts alerts to a webhook URL. Delivery runs in the background with a few
 * retries; failures are logged and never block or fail a reconcile.
 */
export class Notifier {
  private pending = new Set<Promise<void>>();

  constructor(
    private readonly url: string | undefined,
    private readonly format: NotifyFormat,
    private readonly log: Logger,
    private readonly backoffMs = 500,
  ) {}

  /** Sends `n` (no-op without a URL). */
  public send(n: Notification): void {
    if (!this.url) return;
    const p = this.deliver(n).finally(() => this.pending.delete(p));
    this.pending.add(p);
  }

  /** Resolves when every queued notification was delivered or given up (for shutdown and tests). */
  public async flush(): Promise<void> {
    await Promise.all([...this.pending]);
  }

  private body(n: Notification): string {
    if (this.format === 'slack') {
      const where = [
        n.app && `app ${n.app}`,
        n.env && `env ${n.env}`,
        n.revision && `revision ${n.revision.slice(0, 12)}`,
      ]
        .filter(Boolean)
        .join(', ');
      return JSON.stringify({ text: `synthops ${n.kind}${where ? ` (${where})` : ''}: ${n.message}` });
    }
    return JSON.stringify({ source: 'synthops', ...n, time: new Date().toISOString() });
  }

  private async deliver(n: Notification): Promise<void> {
    const body = this.body(n);
    for (let attempt = 1; attempt <= ATTEMPTS; attempt++) {
      try {
        await post(this.url!, body);
        return;
      } catch (e) {
        this.log.warn({ kind: n.kind, app: n.app, attempt, err: (e as Error).message }, 'notification delivery failed');
        if (attempt < ATTEMPTS) await new Promise((r) => setTimeout(r, this.backoffMs * 2 ** (attempt - 1)));
      }
    }
    this.log.error({ kind: n.kind, app: n.app }, 'notification dropped after retries');
  }
}

function post(url: string, body: string): Promise<void> {
  return new Promise((resolve, reject) => {
    const u = new URL(url);
    const lib = u.protocol === 'http:' ? http : https;
    const req = lib.request(
      u,
      {
        method: 'POST',
        headers: { 'Content-Type': 'application/json', 'Content-Length': Buffer.byteLength(body) },
        timeout: 5000,
      },
      (res) => {
        res.resume();
        res.on('end', () => ((res.statusCode ?? 0) < 300 ? resolve() : reject(new Error(`HTTP ${res.statusCode}`))));
      },
    );
    req.on('timeout', () => req.destroy(new Error('timed out')));
    req.on('error', reject);
    req.end(body);
  });
}
