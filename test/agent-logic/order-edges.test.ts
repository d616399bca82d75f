/** Apply order of every known kind, and the stages it makes (see docs/mutations.md). */
import * as assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { isFoundation, rank, sortForApply, stages } from '../../src/agent/plan/order';
import { Manifest } from '../../src/model/manifest';

/** Groups in apply order; every kind of a group goes before every kind of the next. */
const GROUPS: readonly (readonly string[])[] = [
  ['CustomResourceDefinition'],
  ['Namespace'],
  ['ResourceQuota', 'LimitRange', 'PriorityClass', 'RuntimeClass', 'StorageClass', 'IngressClass'],
  ['ServiceAccount', 'ClusterRole', 'ClusterRoleBinding', 'Role', 'RoleBinding'],
  ['Secret', 'ConfigMap', 'PersistentVolume', 'PersistentVolumeClaim'],
  ['Service', 'EndpointSlice', 'Endpoints'],
  ['DaemonSet', 'Pod', 'ReplicationController', 'ReplicaSet', 'Deployment', 'StatefulSet', 'Job', 'CronJob'],
  ['HorizontalPodAutoscaler', 'PodDisruptionBudget', 'NetworkPolicy', 'Ingress', 'APIService'],
  ['Widget'],
  [
    'ValidatingAdmissionPolicy',
    'ValidatingAdmissionPolicyBinding',
    'MutatingWebhookConfiguration',
    'ValidatingWebhookConfiguration',
  ],
];

const m = (kind: string, name: string, apiVersion = 'v1', namespace?: string): { manifest: Manifest } => ({
  manifest: { apiVersion, kind, metadata: { name, ...(namespace ? { namespace } : {}) } },
});

describe('apply order: every kind', () => {
  test('each group of kinds goes before the next; unknown kinds after the built-in ones, admission last', () => {
    for (let i = 0; i + 1 < GROUPS.length; i++) {
      for (const a of GROUPS[i])
        for (const b of GROUPS[i + 1]) assert.ok(rank(a) < rank(b), `${a} (${rank(a)}) before ${b} (${rank(b)})`);
    }
  });

  test('inside a group each kind has its own rank, in the listed order, so each is its own stage', () => {
    const all = GROUPS.flat().filter((k) => k !== 'Widget');
    for (let i = 0; i + 1 < all.length; i++)
      assert.ok(rank(all[i]) < rank(all[i + 1]), `${all[i]} before ${all[i + 1]}`);
    assert.equal(rank('Widget'), rank('Gadget'), 'all custom kinds share one rank');
  });

  test('sort: rank, then API group, kind, namespace and name', () => {
    const items = [
      m('Gadget', 'a', 'b.example.dev/v1', 'n'),
      m('Widget', 'b', 'a.example.dev/v1', 'n'),
      m('Widget', 'a', 'a.example.dev/v1', 'z'),
      m('Widget', 'a', 'a.example.dev/v1', 'n'),
      m('Gadget', 'a', 'a.example.dev/v1', 'n'),
      m('Widget', 'a', 'a.example.dev/v1'),
    ];
    const order = sortForApply(items).map(
      (i) =>
        `${i.manifest.apiVersion} ${i.manifest.kind} ${i.manifest.metadata.namespace ?? '-'} ${i.manifest.metadata.name}`,
    );
    assert.deepEqual(order, [
      'a.example.dev/v1 Gadget n a',
      'a.example.dev/v1 Widget - a',
      'a.example.dev/v1 Widget n a',
      'a.example.dev/v1 Widget n b',
      'a.example.dev/v1 Widget z a',
      'b.example.dev/v1 Gadget n a',
    ]);
    assert.deepEqual(
      sortForApply([...items].reverse()).map((i) => i.manifest),
      sortForApply(items).map((i) => i.manifest),
      'the input order does not matter',
    );
    assert.deepEqual(sortForApply([m('ConfigMap', 'b'), m('ConfigMap', 'b')]).length, 2, 'equal keys are both kept');
  });

  test('stages: one per rank present, in order; none for nothing', () => {
    assert.deepEqual(stages([]), []);
    const s = stages([
      m('Deployment', 'w', 'apps/v1', 'n'),
      m('ConfigMap', 'c', 'v1', 'n'),
      m('Namespace', 'n'),
      m('ConfigMap', 'b', 'v1', 'n'),
      m('Secret', 's', 'v1', 'n'),
    ]);
    assert.deepEqual(
      s.map((st) => st.map((i) => i.manifest.metadata.name)),
      [['n'], ['s'], ['b', 'c'], ['w']],
    );
  });

  test('foundation: CRDs and Namespaces only', () => {
    assert.equal(
      isFoundation({
        apiVersion: 'apiextensions.k8s.io/v1',
        kind: 'CustomResourceDefinition',
        metadata: { name: 'w.example.dev' },
      }),
      true,
    );
    assert.equal(isFoundation({ apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'n' } }), true);
    assert.equal(isFoundation({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'c' } }), false);
  });
});
