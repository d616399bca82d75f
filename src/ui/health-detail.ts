import { Health, assess } from '../agent/apply/health';
import { Manifest } from '../model/manifest';

/** Health of a live object with the reason a person needs to fix it. */
export interface LiveHealth {
  readonly health: Health;
  readonly reason: string;
}

interface ContainerStatus {
  readonly name: string;
  readonly state?: {
    readonly waiting?: { readonly reason?: string; readonly message?: string };
    readonly terminated?: { readonly reason?: string; readonly exitCode?: number };
  };
}
interface PodCondition {
  readonly type: string;
  readonly status: string;
  readonly reason?: string;
  readonly message?: string;
}

// Waiting reasons that do not clear by themselves: the Pod is broken, not just slow.
const BROKEN_WAITING = new Set([
  'ErrImagePull',
  'ImagePullBackOff',
  'InvalidImageName',
  'CrashLoopBackOff',
  'CreateContainerConfigError',
  'CreateContainerError',
  'RunContainerError',
]);

function podHealth(pod: Manifest): LiveHealth {
  const base = assess(pod);
  if (base.health === 'Healthy') return { health: 'Healthy', reason: 'ready' };
  const status = (pod.status ?? {}) as {
    containerStatuses?: ContainerStatus[];
    initContainerStatuses?: ContainerStatus[];
    conditions?: PodCondition[];
    phase?: string;
  };
  for (const c of [...(status.initContainerStatuses ?? []), ...(status.containerStatuses ?? [])]) {
    const w = c.state?.waiting;
    if (w?.reason)
      return {
        health: BROKEN_WAITING.has(w.reason) ? 'Degraded' : base.health,
        reason: `container ${c.name}: ${w.reason}${w.message ? `: ${w.message}` : ''}`,
      };
    const t = c.state?.terminated;
    if (t?.reason && t.exitCode !== 0)
      return { health: base.health, reason: `container ${c.name}: ${t.reason} (exit ${t.exitCode ?? '?'})` };
  }
  const scheduled = status.conditions?.find((c) => c.type === 'PodScheduled');
  if (scheduled?.status === 'False')
    return {
      health: base.health,
      reason: `not scheduled: ${scheduled.reason ?? ''}${scheduled.message ? `: ${scheduled.message}` : ''}`,
    };
  return { health: base.health, reason: base.message };
}

function replicaSetHealth(rs: Manifest): LiveHealth {
  const want = ((rs.spec ?? {}) as { replicas?: number }).replicas ?? 1;
  const ready = ((rs.status ?? {}) as { readyReplicas?: number }).readyReplicas ?? 0;
  if (ready >= want) return { health: 'Healthy', reason: `${ready}/${want} ready` };
  return { health: 'Progressing', reason: `${ready}/${want} ready` };
}

/** The health of a live object: synthops' own assessment, with Pod and ReplicaSet detail. */
export function liveHealth(m: Manifest): LiveHealth {
  if (m.kind === 'Pod') return podHealth(m);
  if (m.kind === 'ReplicaSet') return replicaSetHealth(m);
  const h = assess(m);
  return { health: h.health, reason: h.message };
}
