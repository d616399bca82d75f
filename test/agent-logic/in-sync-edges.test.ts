/** Edges of the in-sync check that mutation testing found unpinned (see docs/mutations.md). */
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

describe('in-sync check: edges', () => {
  test('the digest leaves out only its own annotation: other annotations count', () => {
    const stamped = withDigest(cm({ x: '1' }, { team: 'web' }));
    assert.deepEqual(Object.keys(stamped.metadata.annotations!).sort(), [DIGEST_ANNOTATION, 'team']);
    assert.notEqual(appliedDigest(stamped), appliedDigest(cm({ x: '1' })), 'the team annotation is part of the digest');
    assert.equal(
      appliedDigest({
        ...stamped,
        metadata: {
          ...stamped.metadata,
          annotations: { ...stamped.metadata.annotations, [DIGEST_ANNOTATION]: 'sha256:other' },
        },
      }),
      appliedDigest(stamped),
      'whatever digest it carries',
    );
    assert.equal(
      withDigest(stamped).metadata.annotations![DIGEST_ANNOTATION],
      stamped.metadata.annotations![DIGEST_ANNOTATION],
      'stamping twice gives the same digest',
    );
    assert.notEqual(
      appliedDigest(cm({ x: '1' })),
      appliedDigest({ ...cm({ x: '1' }), kind: 'Secret' }),
      'every field counts',
    );
  });

  test('contains: null and absent live values, non-object live values', () => {
    assert.ok(contains({ gone: null }, { gone: null }), 'null live is absent too');
    assert.ok(contains(undefined, undefined));
    assert.ok(contains(null, null));
    assert.ok(contains(null, undefined), 'absent either way');
    assert.ok(!contains('ab', { length: 2 }), 'a string is not a map, whatever its properties');
    assert.ok(!contains(null, { a: 1 }), 'no live map');
    assert.ok(!contains(undefined, { a: 1 }));
    assert.ok(!contains(7, { a: 1 }));
    assert.ok(!contains({ 0: 1, length: 1 }, [1]), 'an object is not a list');
    assert.ok(!contains(undefined, [1]));
    assert.ok(contains([], []));
    assert.ok(!contains([1, 2], [1]), 'a longer live list');
    assert.ok(!contains([1], [1, 2]), 'a shorter live list');
    assert.ok(!contains([2, 1], [1, 2]), 'order counts');
    assert.ok(!contains('1', 1), 'no type coercion');
    assert.ok(contains(false, false));
    assert.ok(!contains(0, false));
    assert.ok(contains({ a: { b: { c: 1 } } }, { a: { b: {} } }), 'an empty desired map is contained in any map');
  });

  test('covers: absent desired values need no ownership; lists need only the key', () => {
    assert.ok(covers({}, { gone: undefined, alsoGone: null }));
    assert.ok(!covers({}, { data: {} }), 'a desired map needs its key owned');
    assert.ok(
      covers({ 'f:spec': { 'f:ports': { 'k:{"port":80}': {} } } }, { spec: { ports: [{ port: 80 }, { port: 81 }] } }),
      'list items are left to contains',
    );
    assert.ok(covers({ 'f:spec': { 'f:ports': {} } }, { spec: { ports: [] } }));
    assert.ok(!covers({ 'f:spec': { 'f:a': {} } }, { spec: { a: 1, b: 2 } }));
    assert.ok(covers({ 'f:spec': { 'f:a': {} } }, { spec: { a: 1 } }));
    assert.ok(
      !covers({ 'f:spec': { 'f:x': { 'f:y': {} } } }, { spec: { x: { y: 1, z: 2 } } }),
      'deeper maps are checked too',
    );
  });

  test("in sync needs synthops' own apply entry: none, or one that is not an Apply, answers no", () => {
    const desired = withDigest(cm({ k: 'v' }));
    const fields = { 'f:data': { 'f:k': {} }, 'f:metadata': { 'f:annotations': { [`f:${DIGEST_ANNOTATION}`]: {} } } };
    const live = (managedFields?: unknown[]): Manifest => ({
      ...desired,
      metadata: { ...desired.metadata, ...(managedFields ? { managedFields } : {}) },
    });
    assert.ok(inSync(desired, live([{ manager: 'synthops', operation: 'Apply', fieldsV1: fields }])));
    assert.ok(!inSync(desired, live()), 'no managed fields (an old server, or stripped)');
    assert.ok(!inSync(desired, live([{ manager: 'synthops', operation: 'Update', fieldsV1: fields }])));
    assert.ok(!inSync(desired, live([{ manager: 'synthops', operation: 'Apply' }])), 'an entry without a field set');
    assert.ok(
      !inSync(desired, live([{ manager: 'synthops', operation: 'Apply', fieldsV1: { 'f:metadata': {} } }])),
      'data not owned',
    );
    assert.ok(
      !inSync(desired, {
        ...live([{ manager: 'synthops', operation: 'Apply', fieldsV1: fields }]),
        metadata: {
          name: 'a',
          namespace: 'ns',
          managedFields: [{ manager: 'synthops', operation: 'Apply', fieldsV1: fields }],
        },
      }),
      'a live object without annotations',
    );
    // Without a digest on either side, equal values and ownership are still not enough.
    const bare = cm({ k: 'v' });
    assert.ok(
      !inSync(bare, {
        ...bare,
        metadata: {
          ...bare.metadata,
          managedFields: [
            { manager: 'synthops', operation: 'Apply', fieldsV1: { 'f:data': { 'f:k': {} }, 'f:metadata': {} } },
          ],
        },
      }),
    );
    assert.ok(
      inSync(
        { ...desired, metadata: { ...desired.metadata, name: 'a', namespace: 'ns' } },
        live([{ manager: 'synthops', operation: 'Apply', fieldsV1: fields }]),
      ),
      'name and namespace are identity, not owned fields',
    );
  });
});
