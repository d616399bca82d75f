import * as assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { fingerprint, judgeEvent, notNewer, project } from '../../src/agent/controller/drift-judge';
import { Manifest } from '../../src/model/manifest';

const cm = (data: Record<string, string>, extra: Partial<Manifest['metadata']> = {}): Manifest => ({
  apiVersion: 'v1',
  kind: 'ConfigMap',
  metadata: { name: 'a', namespace: 'n', ...extra },
  data,
});
const target = (m: Manifest, resourceVersion?: string) => ({
  app: 'shop',
  ref: { apiVersion: 'v1', kind: 'ConfigMap', namespace: 'n', name: 'a' },
  fingerprint: fingerprint(m),
  resourceVersion,
});

describe('drift judgement of watch events', () => {
  test('status and server bookkeeping are not drift; a changed field is, once', () => {
    const base = cm({ k: 'v' }, { resourceVersion: '10' });
    const t = target(base, '10');
    const bookkeeping = {
      ...cm({ k: 'v' }, { resourceVersion: '11', generation: 3, managedFields: [{ manager: 'x' }] }),
      status: { ready: true },
    };
    assert.deepEqual(judgeEvent(t, 'MODIFIED', bookkeeping, undefined), { action: 'ignore' });
    const changed = cm({ k: 'other' }, { resourceVersion: '12' });
    const v = judgeEvent(t, 'MODIFIED', changed, undefined);
    assert.equal(v.action, 'drift');
    assert.deepEqual(v.action === 'drift' && v.drift, { app: 'shop', object: 'ConfigMap n/a', change: 'modified' });
    assert.equal(v.action === 'drift' && v.fingerprint, fingerprint(changed));
  });

  test('events of the apps being written are held; events not newer than our own write are ignored', () => {
    const t = target(cm({ k: 'v' }), '20');
    assert.deepEqual(judgeEvent(t, 'MODIFIED', cm({ k: 'x' }, { resourceVersion: '21' }), new Set(['shop'])), {
      action: 'hold',
    });
    assert.deepEqual(judgeEvent(t, 'DELETED', cm({ k: 'x' }, { resourceVersion: '21' }), 'all'), { action: 'hold' });
    assert.equal(
      judgeEvent(t, 'MODIFIED', cm({ k: 'x' }, { resourceVersion: '21' }), new Set(['other'])).action,
      'drift',
    );
    assert.deepEqual(judgeEvent(t, 'MODIFIED', cm({ k: 'x' }, { resourceVersion: '19' }), undefined), {
      action: 'ignore',
    });
    assert.deepEqual(judgeEvent(t, 'DELETED', cm({ k: 'v' }, { resourceVersion: '20' }), undefined), {
      action: 'ignore',
    });
  });

  test('a deletion by someone else is drift', () => {
    const v = judgeEvent(target(cm({ k: 'v' }), '5'), 'DELETED', cm({ k: 'v' }, { resourceVersion: '6' }), undefined);
    assert.deepEqual(v, { action: 'drift', drift: { app: 'shop', object: 'ConfigMap n/a', change: 'deleted' } });
  });

  test('resourceVersions compare as numbers, and unknown forms never count as older', () => {
    assert.equal(notNewer('9', '10'), true);
    assert.equal(notNewer('10', '9'), false);
    assert.equal(notNewer('100000000000000000001', '100000000000000000002'), true);
    assert.equal(notNewer('abc', '10'), false);
    assert.equal(notNewer(undefined, '10'), false);
  });

  test('the fingerprint does not depend on key order', () => {
    const a: Manifest = {
      apiVersion: 'v1',
      kind: 'ConfigMap',
      metadata: { name: 'a', labels: { x: '1', y: '2' } },
      data: { p: '1', q: '2' },
    };
    const b: Manifest = {
      kind: 'ConfigMap',
      data: { q: '2', p: '1' },
      metadata: { labels: { y: '2', x: '1' }, name: 'a' },
      apiVersion: 'v1',
    };
    assert.equal(fingerprint(a), fingerprint(b));
  });

  test("with synthops' apply entry, only what it owns counts: others' fields are not drift, a changed owned value or a field taken over is", () => {
    const owned = {
      'f:metadata': { 'f:labels': { 'f:app': {} } },
      'f:spec': {
        'f:replicas': {},
        'f:template': {
          'f:spec': { 'f:containers': { 'k:{"name":"web"}': { '.': {}, 'f:image': {}, 'f:name': {} } } },
        },
      },
    };
    const dep = (
      o: {
        image?: string;
        replicas?: number;
        extraLabel?: boolean;
        annotation?: boolean;
        fields?: object;
        other?: boolean;
      } = {},
    ): Manifest => ({
      apiVersion: 'apps/v1',
      kind: 'Deployment',
      metadata: {
        name: 'web',
        namespace: 'n',
        labels: { app: 'web', ...(o.extraLabel ? { team: 'x' } : {}) },
        ...(o.annotation ? { annotations: { 'deployment.kubernetes.io/revision': '2' } } : {}),
        managedFields: [
          { manager: 'synthops', operation: 'Apply', fieldsV1: o.fields ?? owned },
          ...(o.other
            ? [{ manager: 'kube-controller-manager', operation: 'Update', fieldsV1: { 'f:metadata': {} } }]
            : []),
        ],
      },
      spec: {
        replicas: o.replicas ?? 2,
        template: {
          spec: {
            containers: [
              { name: 'sidecar', image: 's:1' },
              { name: 'web', image: o.image ?? 'web:1' },
            ],
          },
        },
      },
      status: { availableReplicas: 1 },
    });
    const base = fingerprint(dep());
    assert.equal(
      fingerprint(dep({ annotation: true, extraLabel: true, other: true })),
      base,
      "a controller's annotation, another manager's label and entry",
    );
    assert.equal(fingerprint({ ...dep(), status: { availableReplicas: 2 } }), base, 'status');
    assert.notEqual(fingerprint(dep({ image: 'web:2' })), base, 'an owned value inside a keyed list item');
    assert.notEqual(fingerprint(dep({ replicas: 5 })), base, 'an owned value');
    const { 'f:replicas': _r, ...specWithoutReplicas } = owned['f:spec'];
    assert.notEqual(
      fingerprint(dep({ fields: { ...owned, 'f:spec': specWithoutReplicas } })),
      base,
      'a field another manager took over',
    );
    assert.deepEqual(project(dep().spec, owned['f:spec']), {
      'f:replicas': 2,
      'f:template': { 'f:spec': { 'f:containers': { 'k:{"name":"web"}': { 'f:image': 'web:1', 'f:name': 'web' } } } },
    });
    assert.deepEqual(project(['a', 'b'], { 'v:"b"': {}, 'v:"c"': {} }), { 'v:"b"': true, 'v:"c"': false });
  });
});
