import { Health, HealthStatus, ObjectHealth } from '../../model/health';
import { Manifest, describeObject, refOf } from '../../model/manifest';

export { Health, HealthStatus, ObjectHealth };

const SEVERITY: Record<Health, number> = { Healthy: 0, Progressing: 1, Degraded: 2 };

/** The worse of two health values. */
export function worse(a: Health, b: Health): Health {
  return SEVERITY[a] >= SEVERITY[b] ? a : b;
}

interface Condition {
  type: string;
  status: string;
  reason?: string;
  message?: string;
}

function cond(obj: Manifest, type: string): Condition | undefined {
  const conditions = (obj.status as { conditions?: Condition[] } | undefined)?.conditions;
  return conditions?.find((c) => c.type === type);
}

const healthy: HealthStatus = { health: 'Healthy', message: 'ok' };
const progressing = (message: string): HealthStatus => ({ health: 'Progressing', message });
const degraded = (message: string): HealthStatus => ({ health: 'Degraded', message });

type Status = Record<string, unknown> & { observedGeneration?: number };
type Meta = { generation?: number };

function rolloutObserved(obj: Manifest): boolean {
  const status = (obj.status ?? {}) as Status;
  const generation = (obj.metadata as Meta).generation ?? 0;
  return (status.observedGeneration ?? 0) >= generation;
}

/**
 * Assesses one live object, kstatus-like: workload rollouts complete, Jobs done,
 * PVCs Bound, CRDs Established, LoadBalancer Services with an address (Progressing,
 * not an error, on clusters without one), anything else by its Ready condition;
 * objects without status are Healthy once they exist.
 */
export function assess(obj: Manifest): HealthStatus {
  const status = (obj.status ?? {}) as Status;
  const spec = (obj.spec ?? {}) as Record<string, unknown>;
  switch (obj.kind) {
    case 'Deployment': {
      if (!rolloutObserved(obj)) return progressing('rollout not yet observed by the controller');
      const p = cond(obj, 'Progressing');
      if (p?.status === 'False' && p.reason === 'ProgressDeadlineExceeded')
        return degraded(`rollout stalled: ${p.message ?? p.reason}`);
      const want = (spec.replicas as number | undefined) ?? 1;
      const updated = (status.updatedReplicas as number | undefined) ?? 0;
      const available = (status.availableReplicas as number | undefined) ?? 0;
      const total = (status.replicas as number | undefined) ?? 0;
      if (updated < want) return progressing(`${updated}/${want} replicas updated`);
      if (total > updated) return progressing(`${total - updated} old replicas pending termination`);
      if (available < want) return progressing(`${available}/${want} replicas available`);
      return healthy;
    }
    case 'StatefulSet': {
      if (!rolloutObserved(obj)) return progressing('rollout not yet observed by the controller');
      const want = (spec.replicas as number | undefined) ?? 1;
      const ready = (status.readyReplicas as number | undefined) ?? 0;
      const updated = (status.updatedReplicas as number | undefined) ?? 0;
      if (updated < want) return progressing(`${updated}/${want} replicas updated`);
      if (ready < want) return progressing(`${ready}/${want} replicas ready`);
      return healthy;
    }
    case 'DaemonSet': {
      if (!rolloutObserved(obj)) return progressing('rollout not yet observed by the controller');
      const want = (status.desiredNumberScheduled as number | undefined) ?? 0;
      const updated = (status.updatedNumberScheduled as number | undefined) ?? 0;
      const available = (status.numberAvailable as number | undefined) ?? 0;
      if (updated < want) return progressing(`${updated}/${want} pods updated`);
      if (available < want) return progressing(`${available}/${want} pods available`);
      return healthy;
    }
    case 'Job': {
      if (cond(obj, 'Complete')?.status === 'True') return healthy;
      const failed = cond(obj, 'Failed');
      if (failed?.status === 'True') return degraded(`job failed: ${failed.message ?? failed.reason ?? ''}`.trim());
      return progressing('job running');
    }
    case 'PersistentVolumeClaim':
      return status.phase === 'Bound' ? healthy : progressing(`claim is ${String(status.phase ?? 'Pending')}`);
    case 'CustomResourceDefinition':
      return cond(obj, 'Established')?.status === 'True' ? healthy : progressing('not yet Established');
    case 'Namespace':
      return status.phase === 'Terminating' ? degraded('namespace is terminating') : healthy;
    case 'Service': {
      if (spec.type !== 'LoadBalancer') return healthy;
      const ingress = (status.loadBalancer as { ingress?: unknown[] } | undefined)?.ingress;
      return ingress && ingress.length > 0
        ? healthy
        : progressing('waiting for a load balancer address (none may exist in this cluster)');
    }
    case 'Pod': {
      if (status.phase === 'Succeeded') return healthy;
      if (status.phase === 'Failed') return degraded('pod failed');
      return cond(obj, 'Ready')?.status === 'True'
        ? healthy
        : progressing(`pod is ${String(status.phase ?? 'Pending')}`);
    }
    default: {
      const ready = cond(obj, 'Ready');
      if (!ready) return healthy;
      if (ready.status === 'True') return healthy;
      return ready.status === 'False' && ready.reason && /Fail|Error|Invalid/i.test(ready.reason)
        ? degraded(`${ready.reason}: ${ready.message ?? ''}`.trim())
        : progressing(`Ready is ${ready.status}${ready.message ? `: ${ready.message}` : ''}`);
    }
  }
}

/** App health = worst object health; the message names the worst object and its reason. */
export function summarize(
  objects: readonly ObjectHealth[],
): HealthStatus & { readonly unhealthy: readonly ObjectHealth[] } {
  const unhealthy = objects.filter((o) => o.health !== 'Healthy');
  if (unhealthy.length === 0) return { health: 'Healthy', message: `${objects.length} objects healthy`, unhealthy };
  const worst = unhealthy.reduce((a, b) => (SEVERITY[b.health] > SEVERITY[a.health] ? b : a));
  return { health: worst.health, message: `${worst.object}: ${worst.message}`, unhealthy };
}

/** `Kind ns/name` of a manifest. */
export function nameOf(m: Manifest): string {
  return describeObject(refOf(m));
}
