import * as assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { planPrune } from '../../src/agent/plan/prune';
import { ObjectRef } from '../../src/model/manifest';

const cm = (name: string): ObjectRef => ({ apiVersion: 'v1', kind: 'ConfigMap', namespace: 'n', name });
const none = { allowed: new Set<string>() };

describe('prune plan', () => {
  test('prunes what left Git, in reverse apply order', () => {
    const dep: ObjectRef = { apiVersion: 'apps/v1', kind: 'Deployment', namespace: 'n', name: 'web' };
    const plan = planPrune('shop', [cm('a'), cm('b'), cm('c'), cm('d'), dep], [cm('a'), cm('b'), cm('c')], none);
    assert.deepEqual(plan.prune.map((r) => r.kind), ['Deployment', 'ConfigMap']);
    assert.deepEqual(plan.held, []);
  });

  test('holds removing all, more than half, a whole app, or a Namespace, unless allowed', () => {
    assert.match(planPrune('shop', [cm('a')], [], none).held[0].reason, /removes all 1 objects of app "shop"/);
    assert.match(planPrune('shop', [cm('a'), cm('b'), cm('c')], [cm('a')], none).held[0].reason, /removes 2 of 3 objects of app "shop", more than half/);
    assert.equal(planPrune('shop', [cm('a'), cm('b')], [cm('a')], none).prune.length, 1, 'exactly half is not held');
    assert.match(planPrune('shop', [cm('a')], [], none, true).held[0].reason, /app "shop" is no longer in the revision/);
    const ns: ObjectRef = { apiVersion: 'v1', kind: 'Namespace', name: 'n' };
    assert.match(planPrune('shop', [cm('a'), cm('b'), cm('c'), ns], [cm('a'), cm('b'), cm('c')], none).held[0].reason, /pruning Namespace n deletes everything in it/);
    for (const allowed of [new Set(['shop']), new Set(['*'])]) {
      const plan = planPrune('shop', [cm('a'), ns], [], { allowed });
      assert.equal(plan.prune.length, 2);
      assert.equal(plan.prune[1].kind, 'Namespace', 'namespaces go last');
    }
  });

  test('never prunes CRDs unless asked', () => {
    const crd: ObjectRef = { apiVersion: 'apiextensions.k8s.io/v1', kind: 'CustomResourceDefinition', name: 'widgets.example.com' };
    const plan = planPrune('shop', [cm('a'), cm('b'), cm('c'), crd], [cm('a'), cm('b'), cm('c')], { allowed: new Set(['*']) });
    assert.match(plan.held[0].reason, /CustomResourceDefinitions are never pruned by default/);
    assert.equal(planPrune('shop', [cm('a'), cm('b'), cm('c'), crd], [cm('a'), cm('b'), cm('c')], { allowed: new Set(), pruneCrds: true }).prune.length, 1);
  });
});
