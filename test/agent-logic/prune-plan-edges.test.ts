/** Edges of the prune plan that mutation testing found unpinned (see docs/mutations.md). */
import * as assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { planPrune } from '../../src/agent/plan/prune';
import { ObjectRef } from '../../src/model/manifest';

const cm = (name: string): ObjectRef => ({ apiVersion: 'v1', kind: 'ConfigMap', namespace: 'n', name });
const none = { allowed: new Set<string>() };

describe('prune plan: edges', () => {
  test('nothing left Git: an empty plan, even for an app with no objects', () => {
    const unchanged = planPrune('shop', [cm('a'), cm('b')], [cm('a'), cm('b'), cm('c')], none);
    assert.deepEqual([unchanged.prune, unchanged.held], [[], []]);
    const empty = planPrune('shop', [], [], none);
    assert.deepEqual([empty.prune, empty.held], [[], []]);
    const left = planPrune('shop', [], [], none, { wholeApp: true });
    assert.deepEqual([left.prune, left.held], [[], []], 'an app that left with no objects holds nothing');
  });

  test('every held reason says how to allow the prune, naming the app', () => {
    const hint = 'allow with --allow-prune shop or an "Allow-Prune: shop" trailer on the deploy commit';
    assert.equal(
      planPrune('shop', [cm('a')], [], none).held[0].reason,
      `the revision removes all 1 objects of app "shop" (${hint})`,
    );
    assert.equal(
      planPrune('shop', [cm('a'), cm('b'), cm('c')], [cm('a')], none).held[0].reason,
      `the revision removes 2 of 3 objects of app "shop", more than half (${hint})`,
    );
    assert.equal(
      planPrune('shop', [cm('a')], [], none, { wholeApp: true }).held[0].reason,
      `app "shop" is no longer in the revision; removing a whole app is held (${hint})`,
    );
    const ns: ObjectRef = { apiVersion: 'v1', kind: 'Namespace', name: 'team' };
    assert.equal(
      planPrune('shop', [cm('a'), cm('b'), cm('c'), ns], [cm('a'), cm('b'), cm('c')], none).held[0].reason,
      `pruning Namespace team deletes everything in it (${hint})`,
    );
  });

  test('each hold names its guard: crd, mass, namespace', () => {
    const ns: ObjectRef = { apiVersion: 'v1', kind: 'Namespace', name: 'team' };
    const crd: ObjectRef = { apiVersion: 'apiextensions.k8s.io/v1', kind: 'CustomResourceDefinition', name: 'x.y.z' };
    const keep = [cm('a'), cm('b'), cm('c'), cm('d')];
    const plan = planPrune('shop', [...keep, ns, crd], keep, none);
    assert.deepEqual(
      plan.held.map((h) => [h.ref.kind, h.guard]),
      [
        ['Namespace', 'namespace'],
        ['CustomResourceDefinition', 'crd'],
      ],
    );
    assert.deepEqual(
      planPrune('shop', [cm('a')], [], none).held.map((h) => h.guard),
      ['mass'],
    );
  });

  test('nothing ever converged: objects added while a hold lasted go again without a mass hold', () => {
    // The last converged set is empty (the app's first revision was held): the two
    // objects recorded since were never converged, so removing them is no mass removal.
    const plan = planPrune('shop', [cm('a'), cm('b')], [], none, { converged: [] });
    assert.deepEqual(plan.held, []);
    assert.deepEqual(
      plan.prune.map((r) => r.name),
      ['a', 'b'],
    );
    assert.deepEqual(plan.base, []);
  });
});
