import { Manifest, refOf } from '../../model/manifest';
import { ObjectHealth, assess } from './health';
import { LiveState } from '../../kube/live';
import { ObjectClient } from '../../kube/objects';
import { PreparedObject } from '../plan/prepare';

/** Resolves after `ms`, or at once when `signal` fires (the timer is cleared: it keeps no process alive). */
export async function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  if (signal?.aborted) return;
  await new Promise<void>((resolve) => {
    const done = () => {
      clearTimeout(timer);
      signal?.removeEventListener('abort', done);
      resolve();
    };
    const timer = setTimeout(done, ms);
    signal?.addEventListener('abort', done, { once: true });
  });
}

/** Polling settings. */
export interface WaitOptions {
  readonly timeoutMs: number;
  readonly pollMs: number;
  /** Ends the wait early (shutdown, lost leadership); the result is then what was seen last. @default - none: waits up to the timeout */
  readonly signal?: AbortSignal;
  /** Told of each look {@link waitHealthy} takes, so a caller can show what it waits for. @default - none */
  readonly onLook?: (health: ReadonlyMap<string, readonly ObjectHealth[]>) => void;
}

/**
 * Waits until the CRDs are Established and the Namespaces exist and are Active, so
 * the objects that use them can be validated. Resolves to the ones still not ready.
 */
export async function waitFoundation(
  items: readonly PreparedObject[],
  objects: ObjectClient,
  opts: WaitOptions,
): Promise<string[]> {
  const deadline = Date.now() + opts.timeoutMs;
  let pending = [...items];
  while (pending.length > 0) {
    const still: PreparedObject[] = [];
    for (const p of pending) {
      const live = await objects.get(refOf(p.manifest));
      if (!live || assess(live).health !== 'Healthy') still.push(p);
    }
    pending = still;
    if (pending.length === 0 || Date.now() > deadline || opts.signal?.aborted) break;
    await sleep(Math.min(opts.pollMs, 250), opts.signal);
  }
  return pending.map((p) => p.name);
}

/** The objects of one app whose health to wait for. */
export interface HealthTarget {
  readonly app: string;
  readonly objects: readonly PreparedObject[];
  /** Where to read them: the agent's view, or the app's own identity when it is impersonated. */
  readonly live: LiveState;
}

/**
 * One look at the health of every object of the given apps (one list per kind and
 * namespace per view): what {@link waitHealthy} repeats, and what the long-running
 * agent's health monitor does outside the reconcile.
 */
export async function assessHealth(targets: readonly HealthTarget[]): Promise<Map<string, ObjectHealth[]>> {
  const views = [...new Set(targets.map((t) => t.live))].map((live) => ({
    live,
    refs: targets.filter((t) => t.live === live).flatMap((t) => t.objects.map((o) => refOf(o.manifest))),
  }));
  await Promise.all(views.map((v) => v.live.refresh(v.refs, true)));
  const result = new Map<string, ObjectHealth[]>();
  for (const t of targets) {
    const health: ObjectHealth[] = [];
    for (const o of t.objects) {
      const m: Manifest | undefined = await t.live.getOrFetch(refOf(o.manifest));
      const h = m ? assess(m) : { health: 'Progressing' as const, message: 'not found in the cluster' };
      health.push({ object: o.name, ...h });
    }
    result.set(t.app, health);
  }
  return result;
}

/**
 * Polls the health of every object of the given apps until none is Progressing or
 * the timeout passes (a timeout of 0 looks once). Degraded objects stop the wait for
 * themselves only.
 */
export async function waitHealthy(
  targets: readonly HealthTarget[],
  opts: WaitOptions,
): Promise<Map<string, ObjectHealth[]>> {
  const deadline = Date.now() + opts.timeoutMs;
  let round = 0;
  for (;;) {
    const result = await assessHealth(targets);
    opts.onLook?.(result);
    const progressing = [...result.values()].some((hs) => hs.some((h) => h.health === 'Progressing'));
    if (!progressing || Date.now() >= deadline || opts.signal?.aborted) return result;
    // Controllers usually catch up within a moment: look again soon, then at the poll interval.
    round++;
    await sleep(Math.min(opts.pollMs, 100 * 2 ** Math.min(round, 4)), opts.signal);
  }
}
