import * as assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { assess, summarize } from '../../src/agent/apply/health';
import { rank, stages } from '../../src/agent/plan/order';
import { dependencyLevels } from '../../src/agent/reconcile/reconcile';
import { parseDuration } from '../../src/model/duration';
import { Manifest } from '../../src/model/manifest';

const m = (kind: string, name = 'x', apiVersion = 'v1', extra: Record<string, unknown> = {}): Manifest => ({
  apiVersion,
  kind,
  metadata: { name, namespace: 'n' },
  ...extra,
});

describe('apply order', () => {
  test('CRDs and Namespaces first, RBAC and config before Services before workloads, webhooks last', () => {
    const kinds = [
      'ValidatingWebhookConfiguration',
      'Deployment',
      'Widget',
      'Service',
      'ConfigMap',
      'RoleBinding',
      'ServiceAccount',
      'Namespace',
      'CustomResourceDefinition',
    ];
    const sorted = [...kinds].sort((a, b) => rank(a) - rank(b));
    assert.deepEqual(sorted, [
      'CustomResourceDefinition',
      'Namespace',
      'ServiceAccount',
      'RoleBinding',
      'ConfigMap',
      'Service',
      'Deployment',
      'Widget',
      'ValidatingWebhookConfiguration',
    ]);
  });

  test('stages group equal ranks and sort by name inside, deterministically', () => {
    const s = stages(
      [m('ConfigMap', 'b'), m('Deployment', 'a', 'apps/v1'), m('ConfigMap', 'a')].map((manifest) => ({ manifest })),
    );
    assert.deepEqual(
      s.map((st) => st.map((i) => `${i.manifest.kind}/${i.manifest.metadata.name}`)),
      [['ConfigMap/a', 'ConfigMap/b'], ['Deployment/a']],
    );
  });
});

describe('health', () => {
  test('Deployment: progressing until the rollout is observed, updated and available; stalled is Degraded', () => {
    const dep = (status: Record<string, unknown>, generation = 2) =>
      ({
        ...m('Deployment', 'd', 'apps/v1', { spec: { replicas: 2 }, status }),
        metadata: { name: 'd', generation },
      }) as Manifest;
    assert.equal(assess(dep({ observedGeneration: 1 })).health, 'Progressing');
    assert.deepEqual(assess(dep({ observedGeneration: 2, updatedReplicas: 1, replicas: 2, availableReplicas: 2 })), {
      health: 'Progressing',
      message: '1/2 replicas updated',
    });
    assert.deepEqual(assess(dep({ observedGeneration: 2, updatedReplicas: 2, replicas: 3, availableReplicas: 2 })), {
      health: 'Progressing',
      message: '1 old replicas pending termination',
    });
    assert.deepEqual(
      assess(dep({ observedGeneration: 2, updatedReplicas: 2, replicas: 2, availableReplicas: 1 })),
      { health: 'Progressing', message: '1/2 replicas available' },
      'updated is not available',
    );
    assert.deepEqual(assess(dep({ observedGeneration: 2, updatedReplicas: 2, replicas: 2 })), {
      health: 'Progressing',
      message: '0/2 replicas available',
    });
    assert.equal(
      assess(dep({ observedGeneration: 2, updatedReplicas: 2, replicas: 2, availableReplicas: 2 })).health,
      'Healthy',
    );
    assert.equal(
      assess(
        dep({
          observedGeneration: 2,
          conditions: [
            { type: 'Progressing', status: 'False', reason: 'ProgressDeadlineExceeded', message: 'too slow' },
          ],
        }),
      ).health,
      'Degraded',
    );
  });

  test('Jobs, PVCs, CRDs, LoadBalancer Services and Ready conditions', () => {
    assert.equal(
      assess(m('Job', 'j', 'batch/v1', { status: { conditions: [{ type: 'Complete', status: 'True' }] } })).health,
      'Healthy',
    );
    assert.equal(
      assess(
        m('Job', 'j', 'batch/v1', {
          status: { conditions: [{ type: 'Failed', status: 'True', message: 'BackoffLimitExceeded' }] },
        }),
      ).health,
      'Degraded',
    );
    assert.equal(assess(m('PersistentVolumeClaim', 'p', 'v1', { status: { phase: 'Pending' } })).health, 'Progressing');
    assert.equal(
      assess(
        m('CustomResourceDefinition', 'c', 'apiextensions.k8s.io/v1', {
          status: { conditions: [{ type: 'Established', status: 'True' }] },
        }),
      ).health,
      'Healthy',
    );
    assert.deepEqual(assess(m('Service', 's', 'v1', { spec: { type: 'LoadBalancer' }, status: {} })), {
      health: 'Progressing',
      message: 'waiting for a load balancer address (none may exist in this cluster)',
    });
    assert.equal(assess(m('Service', 's', 'v1', { spec: { type: 'ClusterIP' } })).health, 'Healthy');
    assert.equal(
      assess(
        m('Widget', 'w', 'example.com/v1', {
          status: { conditions: [{ type: 'Ready', status: 'False', reason: 'ReconcileFailed' }] },
        }),
      ).health,
      'Degraded',
    );
    assert.equal(assess(m('ConfigMap')).health, 'Healthy');
  });

  test('app health is the worst object, named', () => {
    const s = summarize([
      { object: 'A', health: 'Healthy', message: 'ok' },
      { object: 'B', health: 'Progressing', message: 'slow' },
      { object: 'C', health: 'Degraded', message: 'broken' },
    ]);
    assert.deepEqual([s.health, s.message, s.unhealthy.length], ['Degraded', 'C: broken', 2]);
  });
});

describe('dependencies and durations', () => {
  test('dependency levels, and cycles set apart', () => {
    const app = (name: string, dependsOn: string[] = []) => ({ name, env: 'e', dependsOn, objects: [] });
    const { levels, cyclic } = dependencyLevels([
      app('web', ['db']),
      app('db'),
      app('docs'),
      app('x', ['y']),
      app('y', ['x']),
    ]);
    assert.deepEqual(
      levels.map((l) => l.map((a) => a.name)),
      [['db', 'docs'], ['web']],
    );
    assert.deepEqual(
      cyclic.map((a) => a.name),
      ['x', 'y'],
    );
  });

  test('parses durations', () => {
    assert.equal(parseDuration('500ms'), 500);
    assert.equal(parseDuration('30s'), 30_000);
    assert.equal(parseDuration('2m'), 120_000);
    assert.equal(parseDuration('1m30s'), 90_000);
    // Go's form: a bare number other than 0 has no unit (see duration.test.ts).
    assert.throws(() => parseDuration('90'), /a number without a unit/);
    assert.throws(() => parseDuration('soon'), /"soon" is not a duration/);
  });
});
