/** The in-sync check that lets the agent skip the dry-run of unchanged objects. */
import * as assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { appliedDigest, contains, covers, inSync, withDigest } from '../../src/agent/plan/in-sync';
import { DIGEST_ANNOTATION } from '../../src/model/keys';
import { Manifest } from '../../src/model/manifest';

const cm = (data: Record<string, string>, annotations?: Record<string, string>): Manifest => ({
  apiVersion: 'v1',
  kind: 'ConfigMap',
  metadata: { name: 'a', namespace: 'ns', ...(annotations ? { annotations } : {}) },
  data,
});

describe('in-sync check', () => {
  test('the digest is stable, and leaves out its own annotation', () => {
    const a = cm({ x: '1', y: '2' });
    assert.equal(appliedDigest(a), appliedDigest(cm({ x: '1', y: '2' })));
    assert.equal(appliedDigest(withDigest(a)), appliedDigest(a));
    assert.equal(
      appliedDigest(withDigest(cm({ x: '1' }, { team: 'web' }))),
      appliedDigest(cm({ x: '1' }, { team: 'web' })),
    );
    assert.notEqual(appliedDigest(cm({ x: '1' })), appliedDigest(a));
    assert.match(withDigest(a).metadata.annotations![DIGEST_ANNOTATION], /^sha256:[0-9a-f]{64}$/);
    assert.equal(a.metadata.annotations, undefined, 'the input is not changed');
  });

  test('contains: extra live fields are fine, changed or missing ones are not', () => {
    assert.ok(contains({ a: 1, b: { c: 2, d: 3 } }, { b: { c: 2 } }));
    assert.ok(!contains({ a: 1 }, { a: 2 }));
    assert.ok(!contains({}, { a: 1 }));
    assert.ok(
      contains({ ports: [{ port: 80, protocol: 'TCP' }] }, { ports: [{ port: 80 }] }),
      'defaults inside list items',
    );
    assert.ok(
      !contains({ ports: [{ port: 80 }, { port: 81 }] }, { ports: [{ port: 80 }] }),
      'an item added by someone else',
    );
    assert.ok(!contains({ ports: [{ port: 81 }] }, { ports: [{ port: 80 }] }));
    assert.ok(contains({}, { gone: null }), 'null means absent');
    assert.ok(!contains({ gone: 1 }, { gone: null }));
    assert.ok(!contains({ cpu: '500m' }, { cpu: 0.5 }), 'normalised values answer no (a dry-run decides)');
    assert.ok(!contains('x', { a: 1 }));
    assert.ok(!contains({ a: [1] }, { a: { 0: 1 } }));
  });

  test('covers: synthops must still own every desired field, down to maps', () => {
    const owned = { 'f:data': { 'f:k': {} }, 'f:spec': { 'f:selector': {}, 'f:ports': { 'k:{"port":80}': {} } } };
    assert.ok(
      covers(owned, { data: { k: 'v' }, spec: { selector: { app: 'a', extra: 'b' }, ports: [{ port: 80 }] } }),
      'an atomic map is owned whole',
    );
    assert.ok(!covers(owned, { data: { k: 'v', other: 'x' } }), 'a key taken over by someone else');
    assert.ok(
      !covers({ 'f:data': { 'f:k': {} } }, { spec: { selector: { app: 'a' } } }),
      'an atomic map taken over (someone changed it)',
    );
    assert.ok(covers(owned, { data: { k: 'v' }, gone: null }));
  });

  test('in sync needs the same digest live, every desired value, and ownership', () => {
    const desired = withDigest(cm({ k: 'v' }));
    const fields = { 'f:data': { 'f:k': {} }, 'f:metadata': { 'f:annotations': { [`f:${DIGEST_ANNOTATION}`]: {} } } };
    const live: Manifest = {
      ...desired,
      metadata: {
        ...desired.metadata,
        resourceVersion: '7',
        annotations: { ...desired.metadata.annotations, other: 'x' },
        managedFields: [{ manager: 'synthops', operation: 'Apply', fieldsV1: fields }],
      },
    };
    assert.ok(
      !inSync(desired, {
        ...live,
        metadata: {
          ...live.metadata,
          managedFields: [{ manager: 'kubectl-edit', operation: 'Update', fieldsV1: fields }],
        },
      }),
      'fields owned by someone else',
    );
    assert.ok(inSync(desired, live));
    assert.ok(!inSync(desired, undefined));
    assert.ok(!inSync(desired, { ...live, data: { k: 'edited' } }), 'drift');
    assert.ok(
      !inSync(desired, { ...live, metadata: { ...live.metadata, annotations: {} } }),
      'applied by an older agent, or the annotation removed',
    );
    // Desired lost a key: every remaining value is live, but the digest differs.
    const smaller = withDigest(cm({}));
    assert.ok(!inSync(smaller, live));
    assert.ok(!inSync(cm({ k: 'v' }), live), 'a desired object without a digest is never in sync');
  });
});
