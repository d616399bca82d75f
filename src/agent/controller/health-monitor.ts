import { ObjectHealth } from '../apply/health';
import { HealthTarget, assessHealth } from '../apply/wait';
import { Logger } from './log';

/** How the monitor looks and whom it tells. */
export interface HealthMonitorOptions {
  /** How often to look while an app is not healthy. */
  readonly pollMs: number;
  /** After this long without health, say so once and look ten times less often. */
  readonly timeoutMs: number;
  /** How often to repeat what is still awaited in the log. @default 30000 */
  readonly logEveryMs?: number;
  readonly log: Logger;
  /** An app's health changed (every object's health is given). Awaited: a look ends when its calls are done. */
  readonly onChange: (app: string, health: readonly ObjectHealth[]) => Promise<void>;
}

interface Followed {
  readonly target: HealthTarget;
  /** What was last reported: the unhealthy objects and why. */
  key: string;
  readonly since: number;
  lastLog: number;
  timedOut: boolean;
}

/** The objects still awaited, one line each: `Kind ns/name: Progressing (why)`. */
function waitingFor(health: readonly ObjectHealth[]): string[] {
  return health.filter((h) => h.health !== 'Healthy').map((h) => `${h.object}: ${h.health} (${h.message})`);
}

function keyOf(health: readonly ObjectHealth[]): string {
  return JSON.stringify(waitingFor(health));
}

/**
 * Follows the health of applied apps outside the reconcile: the long-running agent
 * applies a revision and returns at once, and this monitor keeps looking (one list per
 * kind and namespace per round) until each app is healthy, telling the controller each
 * time an app's health changes and logging what it waits for and why. A reconcile of
 * an app first makes the monitor {@link forget} it, so a look at the old state never
 * lands after the new one.
 */
export class HealthMonitor {
  private readonly apps = new Map<string, Followed>();
  /** Apps forgotten for a reconcile: followed again for the same reasons, their wait goes on from when it began. */
  private readonly forgotten = new Map<string, Followed>();
  private timer?: NodeJS.Timeout;
  private looking?: Promise<void>;
  private stopped = false;

  constructor(private readonly o: HealthMonitorOptions) {}

  /** Follows an app whose objects were just applied, from the health seen right after the writes. */
  public follow(target: HealthTarget, health: readonly ObjectHealth[]): void {
    if (this.stopped) return;
    const waiting = waitingFor(health);
    if (waiting.length === 0) {
      this.apps.delete(target.app);
      return;
    }
    const now = Date.now();
    const key = keyOf(health);
    const before = this.forgotten.get(target.app);
    this.forgotten.delete(target.app);
    const same = before?.key === key;
    // A fresh view per app: looks must not see the reconcile's old lists.
    this.apps.set(target.app, {
      target: { ...target, live: target.live.fresh() },
      key,
      since: same ? before.since : now,
      lastLog: same ? before.lastLog : now,
      timedOut: same ? before.timedOut : false,
    });
    if (!same) this.o.log.info({ app: target.app, waitingFor: waiting }, 'waiting for health');
    this.schedule();
  }

  /** Stops following apps (all with `'all'`), and waits for a look in progress to end. */
  public async forget(apps: Iterable<string> | 'all'): Promise<void> {
    for (const a of apps === 'all' ? [...this.apps.keys()] : apps) {
      const f = this.apps.get(a);
      if (!f) continue;
      this.forgotten.set(a, f);
      this.apps.delete(a);
    }
    await this.looking;
  }

  /** Apps followed now. */
  public get following(): string[] {
    return [...this.apps.keys()];
  }

  /** Stops for good; resolves when a look in progress has ended. */
  public async stop(): Promise<void> {
    this.stopped = true;
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
    this.apps.clear();
    this.forgotten.clear();
    await this.looking;
  }

  private schedule(): void {
    if (this.stopped || this.timer || this.looking || this.apps.size === 0) return;
    const slow = [...this.apps.values()].every((f) => f.timedOut);
    this.timer = setTimeout(
      () => {
        this.timer = undefined;
        this.looking = this.look().finally(() => {
          this.looking = undefined;
          this.schedule();
        });
      },
      slow ? this.o.pollMs * 10 : this.o.pollMs,
    );
  }

  private async look(): Promise<void> {
    const followed = [...this.apps.values()];
    let results: Map<string, ObjectHealth[]>;
    try {
      results = await assessHealth(followed.map((f) => ({ ...f.target, live: f.target.live.fresh() })));
    } catch (e) {
      this.o.log.warn(
        { err: (e as Error).message, apps: followed.map((f) => f.target.app) },
        'health look failed; looking again',
      );
      return;
    }
    for (const f of followed) {
      const app = f.target.app;
      // Forgotten (a reconcile of it began) or followed anew meanwhile: this look is stale.
      if (this.stopped || this.apps.get(app) !== f) continue;
      const health = results.get(app) ?? [];
      const waiting = waitingFor(health);
      const now = Date.now();
      if (!f.timedOut && now - f.since >= this.o.timeoutMs) {
        f.timedOut = true;
        this.o.log.warn(
          { app, waitingFor: waiting, timeoutMs: this.o.timeoutMs },
          'not healthy within the timeout; still following, less often',
        );
      }
      const key = keyOf(health);
      if (key !== f.key) {
        f.key = key;
        f.lastLog = now;
        if (waiting.length === 0) {
          this.apps.delete(app);
          this.o.log.info({ app, durationMs: now - f.since }, 'healthy');
        } else {
          this.o.log.info({ app, waitingFor: waiting }, 'waiting for health');
        }
        await this.o
          .onChange(app, health)
          .catch((e: Error) => this.o.log.warn({ app, err: e.message }, 'health update failed'));
      } else if (now - f.lastLog >= (this.o.logEveryMs ?? 30_000)) {
        f.lastLog = now;
        this.o.log.info({ app, waitingFor: waiting, waitedMs: now - f.since }, 'still waiting for health');
      }
    }
  }
}
