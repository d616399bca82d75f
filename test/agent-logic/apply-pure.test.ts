import * as assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { classify } from '../../src/agent/apply/apply-app';
import { PreparedObject, crdKinds, dropAutoscaledReplicas, hpaTargets } from '../../src/agent/plan/prepare';
import { applyEntry, lean } from '../../src/kube/live';
import { FIELD_MANAGER } from '../../src/model/keys';
import { Manifest } from '../../src/model/manifest';

const ours = {
  manager: FIELD_MANAGER,
  operation: 'Apply',
  time: '2026-12-01T00:00:00Z',
  fieldsV1: { 'f:data': { 'f:k': {} } },
};
const theirs = {
  manager: 'kubectl-edit',
  operation: 'Update',
  time: '2026-12-01T00:00:01Z',
  fieldsV1: { 'f:data': { 'f:other': {} } },
};
const cm = (data: Record<string, string>, managedFields?: unknown[], resourceVersion?: string): Manifest => ({
  apiVersion: 'v1',
  kind: 'ConfigMap',
  metadata: { name: 'a', namespace: 'n', resourceVersion, managedFields },
  data,
});

describe('apply: pure decisions', () => {
  test('classify: a dry-run answer equal to the live object (managed fields aside) is unchanged', () => {
    assert.equal(
      classify(cm({ k: 'v' }, [ours], '5'), cm({ k: 'v' }, [ours, theirs], '5')),
      'unchanged',
      "other managers' entries and times do not count",
    );
    assert.equal(classify(cm({ k: 'w' }, [ours], '5'), cm({ k: 'v' }, [ours], '5')), 'configured');
    assert.equal(
      classify(cm({ k: 'v' }), undefined),
      'created',
      'no live object and no resourceVersion in the answer: a create',
    );
    assert.equal(classify(cm({ k: 'v' }, [ours], '7'), undefined), 'configured', 'exists but was not in our lists');
    assert.equal(
      classify(cm({ k: 'v' }, [{ ...ours, fieldsV1: { 'f:data': {} } }], '5'), cm({ k: 'v' }, [ours], '5')),
      'configured',
      'a change of what we own is a write',
    );
  });

  test("lean keeps only synthops' own apply entry (its fields, not its time)", () => {
    const l = lean(cm({ k: 'v' }, [theirs, ours]));
    assert.deepEqual(l.metadata.managedFields, [
      { manager: FIELD_MANAGER, operation: 'Apply', fieldsV1: ours.fieldsV1 },
    ]);
    assert.equal(lean(cm({ k: 'v' }, [theirs])).metadata.managedFields, undefined);
    assert.equal(
      applyEntry(cm({ k: 'v' }, [{ ...ours, subresource: 'status' }])),
      undefined,
      'a status apply is not ours on the object',
    );
  });

  test('HPA targets lose spec.replicas; other workloads keep it', () => {
    const hpa: Manifest = {
      apiVersion: 'autoscaling/v2',
      kind: 'HorizontalPodAutoscaler',
      metadata: { name: 'h', namespace: 'n' },
      spec: { scaleTargetRef: { kind: 'Deployment', name: 'web' } },
    };
    const targets = hpaTargets([hpa]);
    assert.deepEqual([...targets], ['Deployment/n/web']);
    const dep = (name: string): PreparedObject => ({
      manifest: {
        apiVersion: 'apps/v1',
        kind: 'Deployment',
        metadata: { name, namespace: 'n' },
        spec: { replicas: 3, template: {} },
      },
      origin: `${name}.yaml#0`,
      name: `Deployment n/${name}`,
    });
    const [web, api] = dropAutoscaledReplicas([dep('web'), dep('api')], targets);
    assert.equal('replicas' in (web.manifest.spec as object), false);
    assert.equal((api.manifest.spec as { replicas: number }).replicas, 3);
  });

  test('CRD kinds of a revision, with their scope', () => {
    const crd = (kind: string, scope: string): Manifest => ({
      apiVersion: 'apiextensions.k8s.io/v1',
      kind: 'CustomResourceDefinition',
      metadata: { name: `${kind.toLowerCase()}s.example.dev` },
      spec: { group: 'example.dev', scope, names: { kind } },
    });
    const kinds = crdKinds([
      crd('Widget', 'Namespaced'),
      crd('Gadget', 'Cluster'),
      { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'x' } },
    ]);
    assert.deepEqual(
      [...kinds.entries()],
      [
        ['example.dev/Widget', { namespaced: true }],
        ['example.dev/Gadget', { namespaced: false }],
      ],
    );
  });
});
