/** Health of each kind at its boundaries, with exact messages (see docs/mutations.md). */
import * as assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { assess, nameOf, summarize, worse } from '../../src/agent/apply/health';
import { Manifest } from '../../src/model/manifest';

const obj = (
  kind: string,
  o: {
    spec?: Record<string, unknown>;
    status?: Record<string, unknown>;
    generation?: number;
    apiVersion?: string;
  } = {},
): Manifest => ({
  apiVersion: o.apiVersion ?? 'apps/v1',
  kind,
  metadata: { name: 'x', namespace: 'n', ...(o.generation === undefined ? {} : { generation: o.generation }) },
  ...(o.spec ? { spec: o.spec } : {}),
  ...(o.status ? { status: o.status } : {}),
});
const progressing = (message: string) => ({ health: 'Progressing', message });
const degraded = (message: string) => ({ health: 'Degraded', message });
const healthy = { health: 'Healthy', message: 'ok' };

describe('health: every kind at its boundaries', () => {
  test('worse: Degraded over Progressing over Healthy, either way round', () => {
    assert.equal(worse('Healthy', 'Progressing'), 'Progressing');
    assert.equal(worse('Progressing', 'Healthy'), 'Progressing');
    assert.equal(worse('Degraded', 'Progressing'), 'Degraded');
    assert.equal(worse('Progressing', 'Degraded'), 'Degraded');
    assert.equal(worse('Healthy', 'Healthy'), 'Healthy');
  });

  test("a rollout counts once the controller has observed the object's generation", () => {
    for (const kind of ['Deployment', 'StatefulSet', 'DaemonSet']) {
      assert.deepEqual(
        assess(obj(kind, { generation: 3, status: { observedGeneration: 2 } })),
        progressing('rollout not yet observed by the controller'),
        kind,
      );
      assert.deepEqual(
        assess(obj(kind, { generation: 1 })),
        progressing('rollout not yet observed by the controller'),
        `${kind} without status`,
      );
      assert.notDeepEqual(
        assess(obj(kind, { generation: 3, status: { observedGeneration: 3 } })),
        progressing('rollout not yet observed by the controller'),
        `${kind}: observed`,
      );
      assert.notDeepEqual(
        assess(obj(kind, { generation: 3, status: { observedGeneration: 4 } })),
        progressing('rollout not yet observed by the controller'),
        `${kind}: observed later`,
      );
    }
    assert.deepEqual(
      assess(obj('Deployment', { status: { updatedReplicas: 1, replicas: 1, availableReplicas: 1 } })),
      healthy,
      'no generation: nothing to observe',
    );
  });

  test('Deployment: updated, then no old replicas, then available', () => {
    const dep = (status: Record<string, unknown>) =>
      obj('Deployment', { generation: 2, spec: { replicas: 2 }, status: { observedGeneration: 2, ...status } });
    assert.deepEqual(
      assess(dep({ updatedReplicas: 1, replicas: 2, availableReplicas: 2 })),
      progressing('1/2 replicas updated'),
    );
    assert.deepEqual(
      assess(dep({ updatedReplicas: 2, replicas: 3, availableReplicas: 2 })),
      progressing('1 old replicas pending termination'),
    );
    assert.deepEqual(
      assess(dep({ updatedReplicas: 2, replicas: 2, availableReplicas: 1 })),
      progressing('1/2 replicas available'),
    );
    assert.deepEqual(assess(dep({ updatedReplicas: 2, replicas: 2 })), progressing('0/2 replicas available'));
    assert.deepEqual(assess(dep({ updatedReplicas: 2, replicas: 2, availableReplicas: 2 })), healthy);
    assert.deepEqual(
      assess(dep({ updatedReplicas: 2, availableReplicas: 2 })),
      healthy,
      'no total reported: nothing old left',
    );
  });

  test('Deployment: default one replica; stalled only on ProgressDeadlineExceeded', () => {
    assert.deepEqual(
      assess(obj('Deployment', { generation: 1, status: { observedGeneration: 1 } })),
      progressing('0/1 replicas updated'),
    );
    assert.deepEqual(
      assess(
        obj('Deployment', {
          generation: 1,
          status: { observedGeneration: 1, updatedReplicas: 1, replicas: 1, availableReplicas: 1 },
        }),
      ),
      healthy,
    );
    assert.deepEqual(
      assess(obj('Deployment', { generation: 1, spec: { replicas: 0 }, status: { observedGeneration: 1 } })),
      healthy,
      'scaled to zero',
    );
    const cond = (status: string, reason: string, message?: string) => ({
      observedGeneration: 1,
      updatedReplicas: 1,
      replicas: 1,
      availableReplicas: 1,
      conditions: [{ type: 'Progressing', status, reason, ...(message ? { message } : {}) }],
    });
    assert.deepEqual(
      assess(obj('Deployment', { generation: 1, status: cond('False', 'ProgressDeadlineExceeded', 'too slow') })),
      degraded('rollout stalled: too slow'),
    );
    assert.deepEqual(
      assess(obj('Deployment', { generation: 1, status: cond('False', 'ProgressDeadlineExceeded') })),
      degraded('rollout stalled: ProgressDeadlineExceeded'),
    );
    assert.deepEqual(
      assess(obj('Deployment', { generation: 1, status: cond('True', 'ProgressDeadlineExceeded') })),
      healthy,
    );
    assert.deepEqual(assess(obj('Deployment', { generation: 1, status: cond('False', 'Other') })), healthy);
    assert.deepEqual(
      assess(
        obj('Deployment', {
          generation: 1,
          status: {
            ...cond('False', 'ProgressDeadlineExceeded'),
            conditions: [{ type: 'Available', status: 'False', reason: 'ProgressDeadlineExceeded' }],
          },
        }),
      ),
      healthy,
      'only the Progressing condition',
    );
    assert.deepEqual(
      assess(
        obj('Deployment', {
          generation: 1,
          spec: { replicas: 2 },
          status: { observedGeneration: 1, updatedReplicas: 2, replicas: 2, availableReplicas: 3 },
        }),
      ),
      healthy,
      'more available than wanted (surge) is fine',
    );
  });

  test('StatefulSet: updated, then ready', () => {
    const sts = (status: Record<string, unknown>, replicas?: number) =>
      obj('StatefulSet', {
        generation: 1,
        ...(replicas === undefined ? {} : { spec: { replicas } }),
        status: { observedGeneration: 1, ...status },
      });
    assert.deepEqual(assess(sts({})), progressing('0/1 replicas updated'));
    assert.deepEqual(assess(sts({ updatedReplicas: 2, readyReplicas: 1 }, 3)), progressing('2/3 replicas updated'));
    assert.deepEqual(assess(sts({ updatedReplicas: 3, readyReplicas: 2 }, 3)), progressing('2/3 replicas ready'));
    assert.deepEqual(assess(sts({ updatedReplicas: 3 }, 3)), progressing('0/3 replicas ready'));
    assert.deepEqual(assess(sts({ updatedReplicas: 3, readyReplicas: 3 }, 3)), healthy);
    assert.deepEqual(assess(sts({ updatedReplicas: 1, readyReplicas: 1 })), healthy);
  });

  test('DaemonSet: every scheduled pod updated, then available', () => {
    const ds = (status: Record<string, unknown>) =>
      obj('DaemonSet', { generation: 1, status: { observedGeneration: 1, ...status } });
    assert.deepEqual(assess(ds({})), healthy, 'nothing scheduled (no matching node)');
    assert.deepEqual(
      assess(ds({ desiredNumberScheduled: 2, updatedNumberScheduled: 1, numberAvailable: 2 })),
      progressing('1/2 pods updated'),
    );
    assert.deepEqual(assess(ds({ desiredNumberScheduled: 2, numberAvailable: 2 })), progressing('0/2 pods updated'));
    assert.deepEqual(
      assess(ds({ desiredNumberScheduled: 2, updatedNumberScheduled: 2, numberAvailable: 1 })),
      progressing('1/2 pods available'),
    );
    assert.deepEqual(
      assess(ds({ desiredNumberScheduled: 2, updatedNumberScheduled: 2 })),
      progressing('0/2 pods available'),
    );
    assert.deepEqual(assess(ds({ desiredNumberScheduled: 2, updatedNumberScheduled: 2, numberAvailable: 2 })), healthy);
  });

  test('Job: Complete, Failed (with the reason when there is no message), or running', () => {
    const job = (conditions: unknown[]) => obj('Job', { apiVersion: 'batch/v1', status: { conditions } });
    assert.deepEqual(assess(job([{ type: 'Complete', status: 'True' }])), healthy);
    assert.deepEqual(assess(job([{ type: 'Complete', status: 'False' }])), progressing('job running'));
    assert.deepEqual(
      assess(
        job([
          {
            type: 'Failed',
            status: 'True',
            reason: 'BackoffLimitExceeded',
            message: 'Job has reached the specified backoff limit',
          },
        ]),
      ),
      degraded('job failed: Job has reached the specified backoff limit'),
    );
    assert.deepEqual(
      assess(job([{ type: 'Failed', status: 'True', reason: 'DeadlineExceeded' }])),
      degraded('job failed: DeadlineExceeded'),
    );
    assert.deepEqual(assess(job([{ type: 'Failed', status: 'True' }])), degraded('job failed:'));
    assert.deepEqual(assess(job([{ type: 'Failed', status: 'False' }])), progressing('job running'));
    assert.deepEqual(assess(obj('Job', { apiVersion: 'batch/v1' })), progressing('job running'));
  });

  test('PVCs, CRDs, Namespaces and Services', () => {
    assert.deepEqual(assess(obj('PersistentVolumeClaim', { apiVersion: 'v1', status: { phase: 'Bound' } })), healthy);
    assert.deepEqual(
      assess(obj('PersistentVolumeClaim', { apiVersion: 'v1', status: { phase: 'Lost' } })),
      progressing('claim is Lost'),
    );
    assert.deepEqual(assess(obj('PersistentVolumeClaim', { apiVersion: 'v1' })), progressing('claim is Pending'));
    assert.deepEqual(
      assess(
        obj('CustomResourceDefinition', {
          apiVersion: 'apiextensions.k8s.io/v1',
          status: { conditions: [{ type: 'Established', status: 'False' }] },
        }),
      ),
      progressing('not yet Established'),
    );
    assert.deepEqual(
      assess(
        obj('CustomResourceDefinition', {
          apiVersion: 'apiextensions.k8s.io/v1',
          status: { conditions: [{ type: 'Established', status: 'True' }] },
        }),
      ),
      healthy,
    );
    assert.deepEqual(
      assess(obj('CustomResourceDefinition', { apiVersion: 'apiextensions.k8s.io/v1' })),
      progressing('not yet Established'),
      'just created: no conditions yet',
    );
    assert.deepEqual(
      assess(obj('Namespace', { apiVersion: 'v1', status: { phase: 'Terminating' } })),
      degraded('namespace is terminating'),
    );
    assert.deepEqual(assess(obj('Namespace', { apiVersion: 'v1', status: { phase: 'Active' } })), healthy);
    assert.deepEqual(
      assess(
        obj('Service', {
          apiVersion: 'v1',
          spec: { type: 'LoadBalancer' },
          status: { loadBalancer: { ingress: [{ ip: '10.0.0.1' }] } },
        }),
      ),
      healthy,
    );
    assert.deepEqual(
      assess(
        obj('Service', { apiVersion: 'v1', spec: { type: 'LoadBalancer' }, status: { loadBalancer: { ingress: [] } } }),
      ),
      progressing('waiting for a load balancer address (none may exist in this cluster)'),
    );
    assert.deepEqual(
      assess(obj('Service', { apiVersion: 'v1', spec: { type: 'LoadBalancer' } })),
      progressing('waiting for a load balancer address (none may exist in this cluster)'),
    );
    assert.deepEqual(assess(obj('Service', { apiVersion: 'v1' })), healthy, 'ClusterIP by default');
  });

  test('Pods: Succeeded, Failed, Ready, or their phase', () => {
    const pod = (status?: Record<string, unknown>) => obj('Pod', { apiVersion: 'v1', ...(status ? { status } : {}) });
    assert.deepEqual(assess(pod({ phase: 'Succeeded' })), healthy);
    assert.deepEqual(assess(pod({ phase: 'Failed' })), degraded('pod failed'));
    assert.deepEqual(assess(pod({ phase: 'Running', conditions: [{ type: 'Ready', status: 'True' }] })), healthy);
    assert.deepEqual(
      assess(pod({ phase: 'Running', conditions: [{ type: 'Ready', status: 'False' }] })),
      progressing('pod is Running'),
    );
    assert.deepEqual(assess(pod()), progressing('pod is Pending'));
  });

  test('other kinds: by their Ready condition; a failure reason is Degraded, anything else Progressing', () => {
    const w = (ready?: Record<string, unknown>) =>
      obj('Widget', {
        apiVersion: 'example.dev/v1',
        status: ready ? { conditions: [{ type: 'Ready', ...ready }] } : {},
      });
    assert.deepEqual(assess(w()), healthy, 'no Ready condition');
    assert.deepEqual(assess(obj('Widget', { apiVersion: 'example.dev/v1' })), healthy, 'no status');
    assert.deepEqual(assess(w({ status: 'True' })), healthy);
    for (const reason of ['ReconcileFailed', 'InstallError', 'InvalidSpec', 'failed', 'error']) {
      assert.deepEqual(
        assess(w({ status: 'False', reason, message: 'broken' })),
        degraded(`${reason}: broken`),
        reason,
      );
    }
    assert.deepEqual(assess(w({ status: 'False', reason: 'ReconcileFailed' })), degraded('ReconcileFailed:'));
    assert.deepEqual(
      assess(w({ status: 'False', reason: 'Progressing', message: 'installing' })),
      progressing('Ready is False: installing'),
    );
    assert.deepEqual(assess(w({ status: 'False' })), progressing('Ready is False'));
    assert.deepEqual(
      assess(w({ status: 'Unknown', reason: 'Failed', message: 'maybe' })),
      progressing('Ready is Unknown: maybe'),
      'Unknown is never Degraded',
    );
  });

  test('summary: the worst object named with its reason; the first of equally bad ones', () => {
    assert.deepEqual(summarize([]), { health: 'Healthy', message: '0 objects healthy', unhealthy: [] });
    assert.deepEqual(
      summarize([
        { object: 'A', health: 'Healthy', message: 'ok' },
        { object: 'B', health: 'Healthy', message: 'ok' },
      ]),
      { health: 'Healthy', message: '2 objects healthy', unhealthy: [] },
    );
    const s = summarize([
      { object: 'A', health: 'Progressing', message: 'one' },
      { object: 'B', health: 'Progressing', message: 'two' },
      { object: 'C', health: 'Healthy', message: 'ok' },
    ]);
    assert.deepEqual([s.health, s.message, s.unhealthy.map((u) => u.object)], ['Progressing', 'A: one', ['A', 'B']]);
    const d = summarize([
      { object: 'A', health: 'Progressing', message: 'one' },
      { object: 'B', health: 'Degraded', message: 'two' },
      { object: 'C', health: 'Degraded', message: 'three' },
    ]);
    assert.deepEqual([d.health, d.message], ['Degraded', 'B: two']);
  });

  test('names: Kind namespace/name', () => {
    assert.equal(nameOf(obj('Deployment')), 'Deployment n/x');
  });
});
