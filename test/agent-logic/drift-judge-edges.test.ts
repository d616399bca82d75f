/** Edges of the drift judgement that mutation testing found unpinned (see docs/mutations.md). */
import * as assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { fingerprint, judgeEvent, notNewer } from '../../src/agent/controller/drift-judge';
import { Manifest } from '../../src/model/manifest';

const cm = (data: Record<string, string>, extra: Partial<Manifest['metadata']> = {}): Manifest => ({
  apiVersion: 'v1',
  kind: 'ConfigMap',
  metadata: { name: 'a', namespace: 'n', ...extra },
  data,
});

describe('drift judgement: edges', () => {
  test('resourceVersions: only whole decimal numbers on both sides compare', () => {
    assert.equal(notNewer('10', '10'), true, 'equal is not newer');
    assert.equal(notNewer('10', undefined), false);
    assert.equal(notNewer('10', ''), false);
    assert.equal(notNewer('', '10'), false);
    for (const bad of ['12a', 'a12', '1 2', '-1', '1.5', '0x10']) {
      assert.equal(notNewer(bad, '20'), false, `${bad} on the left`);
      assert.equal(notNewer('1', bad), false, `${bad} on the right`);
    }
    assert.equal(notNewer('2', '10'), true, 'as numbers, not as text');
  });

  test('the fingerprint leaves out every piece of server bookkeeping, and nothing else', () => {
    const base = cm({ k: 'v' });
    const f = fingerprint(base);
    const bookkeeping = {
      resourceVersion: '5',
      managedFields: [{ manager: 'x' }],
      generation: 2,
      creationTimestamp: '2026-01-01T00:00:00Z',
      uid: 'u-1',
      selfLink: '/api/v1/x',
    };
    for (const [k, v] of Object.entries(bookkeeping)) assert.equal(fingerprint(cm({ k: 'v' }, { [k]: v })), f, k);
    for (const [k, v] of Object.entries({
      annotations: { a: 'b' },
      labels: { a: 'b' },
      finalizers: ['x'],
      ownerReferences: [{ uid: 'u' }],
      name: 'b',
      namespace: 'm',
    })) {
      assert.notEqual(fingerprint(cm({ k: 'v' }, { [k]: v })), f, k);
    }
    assert.notEqual(fingerprint({ ...base, kind: 'Secret' }), f);
    assert.equal(fingerprint({ ...base, status: { phase: 'x' } }), f);
    assert.notEqual(fingerprint({ ...base, data: { k: 'v', deep: JSON.stringify({ a: 1 }) } }), f);
    const nested = (spec: unknown): Manifest =>
      ({ apiVersion: 'v1', kind: 'X', metadata: { name: 'a' }, spec }) as Manifest;
    assert.notEqual(
      fingerprint(nested({ a: { b: { c: 1 } } })),
      fingerprint(nested({ a: { b: { c: 2 } } })),
      'deep values count',
    );
    assert.equal(
      fingerprint(nested({ a: { c: 1, b: 2 } })),
      fingerprint(nested({ a: { b: 2, c: 1 } })),
      'at any depth, key order does not',
    );
    assert.notEqual(
      fingerprint(nested({ list: [{ x: 1 }] })),
      fingerprint(nested({ list: [{ x: 2 }] })),
      'inside lists too',
    );
    assert.match(f, /^[0-9a-f]{64}$/);
  });

  test('a held app holds every event type; an event without a resourceVersion is judged by content', () => {
    const t = {
      app: 'shop',
      ref: { apiVersion: 'v1', kind: 'ConfigMap', namespace: 'n', name: 'a' },
      fingerprint: fingerprint(cm({ k: 'v' })),
      resourceVersion: '20',
    };
    assert.deepEqual(judgeEvent(t, 'ADDED', cm({ k: 'v' }, { resourceVersion: '30' }), new Set(['shop', 'other'])), {
      action: 'hold',
    });
    assert.deepEqual(judgeEvent(t, 'MODIFIED', cm({ k: 'v' }), undefined), { action: 'ignore' }, 'same content');
    assert.equal(judgeEvent(t, 'MODIFIED', cm({ k: 'w' }), undefined).action, 'drift');
    assert.deepEqual(
      judgeEvent({ ...t, resourceVersion: undefined }, 'DELETED', cm({ k: 'v' }, { resourceVersion: '1' }), new Set()),
      { action: 'drift', drift: { app: 'shop', object: 'ConfigMap n/a', change: 'deleted' } },
      'no write of ours to compare with',
    );
  });
});
