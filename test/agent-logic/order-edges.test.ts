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

  test('sort keys compare whole fields: ranks above 9, and names that run into each other', () => {
    // Ranks 8 and 14: as text without padding, "14" would sort before "8".
    assert.deepEqual(
      sortForApply([m('ConfigMap', 'a', 'v1', 'n'), m('ServiceAccount', 'a', 'v1', 'n')]).map((i) => i.manifest.kind),
      ['ServiceAccount', 'ConfigMap'],
    );
    // Namespace "a" with name "bc" against namespace "ab" with name "c": the fields, not their concatenation.
    const joined = [m('ConfigMap', 'c', 'v1', 'ab'), m('ConfigMap', 'bc', 'v1', 'a')];
    for (const input of [joined, [...joined].reverse()])
      assert.deepEqual(
        sortForApply(input).map((i) => `${i.manifest.metadata.namespace}/${i.manifest.metadata.name}`),
        ['a/bc', 'ab/c'],
      );
  });

  test('a large revision sorts into the same order whatever order it is given in', () => {
    const kinds = GROUPS.flat();
    const items = kinds.flatMap((kind, k) =>
      Array.from({ length: 6 }, (_, i) =>
        m(kind, `o${(i * 7 + k) % 10}-${i}`, kind === 'Widget' ? 'example.dev/v1' : 'v1', `ns${i % 3}`),
      ),
    );
    const expected = sortForApply(items).map((i) => i.manifest);
    // A deterministic shuffle (no randomness in tests): every third item first, and so on.
    const shuffled = [0, 1, 2].flatMap((r) => items.filter((_, i) => i % 3 === r)).reverse();
    assert.deepEqual(
      sortForApply(shuffled).map((i) => i.manifest),
      expected,
    );
    for (let i = 0; i + 1 < expected.length; i++)
      assert.ok(
        rank(expected[i].kind) <= rank(expected[i + 1].kind),
        `${expected[i].kind} before ${expected[i + 1].kind}`,
      );
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
    const crossing = stages([
      m('Deployment', 'w', 'apps/v1', 'n'),
      m('ConfigMap', 'c', 'v1', 'n'),
      m('ServiceAccount', 'sa', 'v1', 'n'),
      m('PriorityClass', 'p', 'scheduling.k8s.io/v1'),
    ]);
    assert.deepEqual(
      crossing.map((st) => st.map((i) => i.manifest.kind)),
      [['PriorityClass'], ['ServiceAccount'], ['ConfigMap'], ['Deployment']],
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
