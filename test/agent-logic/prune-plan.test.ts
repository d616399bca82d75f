import * as assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { awaitsApproval, planPrune } from '../../src/agent/plan/prune';
import { ObjectRef } from '../../src/model/manifest';

const cm = (name: string): ObjectRef => ({ apiVersion: 'v1', kind: 'ConfigMap', namespace: 'n', name });
const none = { allowed: new Set<string>() };

describe('prune plan', () => {
  test('prunes what left Git, in reverse apply order', () => {
    const dep: ObjectRef = { apiVersion: 'apps/v1', kind: 'Deployment', namespace: 'n', name: 'web' };
    const plan = planPrune('shop', [cm('a'), cm('b'), cm('c'), cm('d'), dep], [cm('a'), cm('b'), cm('c')], none);
    assert.deepEqual(
      plan.prune.map((r) => r.kind),
      ['Deployment', 'ConfigMap'],
    );
    assert.deepEqual(plan.held, []);
  });

  test('holds removing all, more than half, a whole app, or a Namespace, unless allowed', () => {
    assert.match(planPrune('shop', [cm('a')], [], none).held[0].reason, /removes all 1 objects of app "shop"/);
    assert.match(
      planPrune('shop', [cm('a'), cm('b'), cm('c')], [cm('a')], none).held[0].reason,
      /removes 2 of 3 objects of app "shop", more than half/,
    );
    assert.equal(planPrune('shop', [cm('a'), cm('b')], [cm('a')], none).prune.length, 1, 'exactly half is not held');
    assert.match(
      planPrune('shop', [cm('a')], [], none, { wholeApp: true }).held[0].reason,
      /app "shop" is no longer in the revision/,
    );
    const ns: ObjectRef = { apiVersion: 'v1', kind: 'Namespace', name: 'n' };
    assert.match(
      planPrune('shop', [cm('a'), cm('b'), cm('c'), ns], [cm('a'), cm('b'), cm('c')], none).held[0].reason,
      /pruning Namespace n deletes everything in it/,
    );
    for (const allowed of [new Set(['shop']), new Set(['*'])]) {
      const plan = planPrune('shop', [cm('a'), ns], [], { allowed });
      assert.equal(plan.prune.length, 2);
      assert.equal(plan.prune[1].kind, 'Namespace', 'namespaces go last');
    }
  });

  test('never prunes CRDs unless asked', () => {
    const crd: ObjectRef = {
      apiVersion: 'apiextensions.k8s.io/v1',
      kind: 'CustomResourceDefinition',
      name: 'widgets.example.com',
    };
    const plan = planPrune('shop', [cm('a'), cm('b'), cm('c'), crd], [cm('a'), cm('b'), cm('c')], {
      allowed: new Set(['*']),
    });
    assert.match(plan.held[0].reason, /CustomResourceDefinitions are never pruned by default/);
    assert.equal(
      planPrune('shop', [cm('a'), cm('b'), cm('c'), crd], [cm('a'), cm('b'), cm('c')], {
        allowed: new Set(),
        pruneCrds: true,
      }).prune.length,
      1,
    );
  });

  test('the guards compare with the last converged set: a hold that grew the inventory stays held', () => {
    const a = ['a1', 'a2', 'a3', 'a4'].map(cm);
    const b = ['b1', 'b2', 'b3', 'b4'].map(cm);
    // First run of the rename: all four of the converged set go.
    const first = planPrune('shop', a, b, none, { converged: a });
    assert.deepEqual([first.prune.length, first.held.length], [0, 4]);
    assert.ok(first.held.every((h) => h.guard === 'mass'));
    assert.equal(awaitsApproval(first), true);
    // Same revision again: the inventory now holds a and b, the converged set is still a.
    const again = planPrune('shop', [...a, ...b], b, none, { converged: first.base });
    assert.deepEqual([again.prune.length, again.held.length], [0, 4], 'still held');
    assert.match(again.held[0].reason, /removes all 4 objects of app "shop"/);
    // Without the converged set (the old behaviour) the doubled list dilutes the guard.
    assert.equal(planPrune('shop', [...a, ...b], b, none).prune.length, 4);
    // Allowed: pruned.
    assert.equal(planPrune('shop', [...a, ...b], b, { allowed: new Set(['shop']) }, { converged: a }).prune.length, 4);
  });

  test('a revision that changes what it removes is judged afresh against the converged set', () => {
    const a = ['a1', 'a2', 'a3', 'a4'].map(cm);
    const b = ['b1', 'b2'].map(cm);
    // Held state: inventory a + b, converged a. Keeping half of a is no longer a mass removal.
    const half = planPrune('shop', [...a, ...b], [cm('a1'), cm('a2'), ...b], none, { converged: a });
    assert.deepEqual(half.prune.map((r) => r.name).sort(), ['a3', 'a4']);
    assert.equal(awaitsApproval(half), false);
    // Going back to the converged set removes only what was never converged: no guard.
    const back = planPrune('shop', [...a, ...b], a, none, { converged: a });
    assert.deepEqual(back.prune.map((r) => r.name).sort(), ['b1', 'b2']);
    // Objects pruned since (gone from the inventory) leave the base too.
    const base = planPrune('shop', [cm('a1'), cm('a2'), cm('a3')], [cm('a1'), cm('a2')], none, { converged: a }).base;
    assert.deepEqual(
      base.map((r) => r.name),
      ['a1', 'a2', 'a3'],
    );
  });

  test('CRD holds are policy, not a question: they do not wait for an approval', () => {
    const crd: ObjectRef = {
      apiVersion: 'apiextensions.k8s.io/v1',
      kind: 'CustomResourceDefinition',
      name: 'widgets.example.com',
    };
    const plan = planPrune('shop', [cm('a'), cm('b'), cm('c'), crd], [cm('a'), cm('b'), cm('c')], none);
    assert.equal(plan.held[0].guard, 'crd');
    assert.equal(awaitsApproval(plan), false);
  });
});
