import { Manifest, refOf } from '../../model/manifest';
import { ObjectHealth, assess } from './health';
import { LiveState } from '../../kube/live';
import { ObjectClient } from '../../kube/objects';
import { PreparedObject } from '../plan/prepare';

async function sleep(ms: number): Promise<void> {
  await new Promise((r) => setTimeout(r, ms));
}

/** Polling settings. */
export interface WaitOptions {
  readonly timeoutMs: number;
  readonly pollMs: number;
}

/**
 * Waits until the CRDs are Established and the Namespaces exist and are Active, so
 * the objects that use them can be validated. Resolves to the ones still not ready.
 */
export async function waitFoundation(items: readonly PreparedObject[], objects: ObjectClient, opts: WaitOptions): Promise<string[]> {
  const deadline = Date.now() + opts.timeoutMs;
  let pending = [...items];
  while (pending.length > 0) {
    const still: PreparedObject[] = [];
    for (const p of pending) {
      const live = await objects.get(refOf(p.manifest));
      if (!live || assess(live).health !== 'Healthy') still.push(p);
    }
    pending = still;
    if (pending.length === 0 || Date.now() > deadline) break;
    await sleep(Math.min(opts.pollMs, 250));
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
 * Polls the health of every object of the given apps (one list per kind and
 * namespace per round) until none is Progressing or the timeout passes. Degraded
 * objects stop the wait for themselves only.
 */
export async function waitHealthy(targets: readonly HealthTarget[], opts: WaitOptions): Promise<Map<string, ObjectHealth[]>> {
  const deadline = Date.now() + opts.timeoutMs;
  let round = 0;
  const views = [...new Set(targets.map((t) => t.live))].map((live) => ({ live, refs: targets.filter((t) => t.live === live).flatMap((t) => t.objects.map((o) => refOf(o.manifest))) }));
  for (;;) {
    await Promise.all(views.map((v) => v.live.refresh(v.refs, true)));
    const result = new Map<string, ObjectHealth[]>();
    let progressing = false;
    for (const t of targets) {
      const health: ObjectHealth[] = [];
      for (const o of t.objects) {
        const m: Manifest | undefined = await t.live.getOrFetch(refOf(o.manifest));
        const h = m ? assess(m) : { health: 'Progressing' as const, message: 'not found in the cluster' };
        if (h.health === 'Progressing') progressing = true;
        health.push({ object: o.name, ...h });
      }
      result.set(t.app, health);
    }
    if (!progressing || Date.now() > deadline) return result;
    // Controllers usually catch up within a moment: look again soon, then at the poll interval.
    round++;
    await sleep(Math.min(opts.pollMs, 100 * 2 ** Math.min(round, 4)));
  }
}
