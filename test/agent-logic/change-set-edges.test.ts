/** Change sets: every problem kind, outcome precedence and the result views (see docs/mutations.md). */
import * as assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import {
  ChangeSet,
  ProblemKind,
  appResult,
  errorMessage,
  formatEntry,
  formatProblem,
} from '../../src/agent/apply/change-set';
import { KubeApiError } from '../../src/kube/errors';
import { ObjectRef } from '../../src/model/manifest';

const cm = (name: string): ObjectRef => ({ apiVersion: 'v1', kind: 'ConfigMap', namespace: 'n', name });

describe('change set: edges', () => {
  test('error messages: API refusals carry their HTTP status and reason', () => {
    assert.equal(
      errorMessage(new KubeApiError(422, 'Invalid', 'spec.x: Required value')),
      'spec.x: Required value (HTTP 422 Invalid)',
    );
    assert.equal(errorMessage(new Error('socket hang up')), 'socket hang up');
    assert.equal(errorMessage('plain'), 'plain');
  });

  test('failing: Failed for every kind but a dependency (Skipped); Stalled only for the ones a retry repeats', () => {
    const kinds: ProblemKind[] = [
      'invalid-object',
      'validation',
      'validation-after-foundation',
      'apply',
      'foundation-not-ready',
      'dependency-cycle',
      'internal',
    ];
    for (const kind of kinds) {
      const c = new ChangeSet('a', 'dev');
      c.fail({ kind, message: 'm' });
      assert.equal(c.status, 'Failed', kind);
      assert.equal(c.stalled, ['invalid-object', 'validation', 'validation-after-foundation'].includes(kind), kind);
    }
    const mixed = new ChangeSet('a', 'dev');
    mixed.fail({ kind: 'internal', message: 'm' });
    mixed.fail({ kind: 'validation', message: 'm' });
    assert.equal(mixed.stalled, true, 'one problem a retry repeats is enough');
    const skipped = new ChangeSet('a', 'dev');
    skipped.fail({ kind: 'dependency-not-ready', message: 'db' });
    assert.equal(skipped.status, 'Skipped');
    assert.equal(skipped.stalled, false);
    assert.equal(new ChangeSet('a', 'dev').stalled, false, 'nothing failed');
    const planned = new ChangeSet('a', 'dev');
    planned.status = 'Planned';
    planned.problems.push({ kind: 'validation', message: 'm' });
    assert.equal(planned.stalled, false, 'only a failed app is Stalled');
  });

  test('every problem kind has its line; without an object the line has no "where"', () => {
    const where = { ref: cm('x'), origin: 'x.yaml#0' };
    assert.equal(
      formatProblem({ kind: 'foundation-not-ready', message: 'Namespace n' }),
      'not ready in time: Namespace n',
    );
    assert.equal(
      formatProblem({ kind: 'dependency-not-ready', message: 'db (Failed)' }),
      'DependencyNotReady: waits for db (Failed)',
    );
    assert.equal(
      formatProblem({ kind: 'internal', message: 'connection refused' }),
      'reconcile failed: connection refused',
    );
    assert.equal(formatProblem({ kind: 'apply', message: 'm' }), 'apply failed: m');
    assert.equal(
      formatProblem({ kind: 'validation', message: 'm' }),
      'validation failed, nothing of this app was written: m',
    );
    assert.equal(formatProblem({ kind: 'invalid-object', message: 'm' }), 'm');
    assert.equal(formatProblem({ kind: 'invalid-object', ref: cm('x'), message: 'm' }), 'ConfigMap n/x: m');
    assert.equal(
      formatProblem({ kind: 'validation-after-foundation', ...where, message: 'm' }),
      'validation failed after its CRD/Namespace was applied; the rest of the app was not written: ConfigMap n/x (x.yaml#0): m',
    );
  });

  test('entries: note in parentheses, reason after a colon, both or neither', () => {
    assert.equal(formatEntry({ action: 'created', ref: cm('a') }), 'ConfigMap n/a');
    assert.equal(formatEntry({ action: 'created', ref: cm('a'), note: 'n1' }), 'ConfigMap n/a (n1)');
    assert.equal(formatEntry({ action: 'held', ref: cm('a'), reason: 'r' }), 'ConfigMap n/a: r');
    assert.equal(formatEntry({ action: 'held', ref: cm('a'), note: 'n1', reason: 'r' }), 'ConfigMap n/a (n1): r');
  });

  test('outcome precedence: Failed and Skipped before held, held before unhealthy; Planned never fails', () => {
    const sick = {
      health: 'Degraded' as const,
      message: 'Deployment n/w: broken',
      unhealthy: [{ object: 'Deployment n/w', health: 'Degraded' as const, message: 'broken' }],
    };
    const failed = new ChangeSet('a', 'dev');
    failed.record('held', cm('x'), { reason: 'r' });
    failed.fail({ kind: 'apply', ref: cm('y'), message: 'boom' });
    const f = appResult(failed, 1, sick);
    assert.deepEqual([f.outcome, f.converged, f.why], ['Failed', false, 'ConfigMap n/y: apply failed: boom']);
    const skipped = new ChangeSet('a', 'dev');
    skipped.record('held', cm('x'), { reason: 'r' });
    skipped.fail({ kind: 'dependency-not-ready', message: 'db' });
    assert.deepEqual([appResult(skipped, 1).outcome, appResult(skipped, 1).converged], ['Skipped', false]);
    const held = new ChangeSet('a', 'dev');
    held.record('held', cm('x'), { reason: 'r' });
    const h = appResult(held, 1, sick);
    assert.deepEqual([h.outcome, h.why], ['PruneHeld', 'prune held: ConfigMap n/x: r']);
    const u = appResult(new ChangeSet('a', 'dev'), 1, sick);
    assert.deepEqual(
      [u.outcome, u.converged, u.why, u.health, u.healthMessage, u.unhealthy.length],
      ['Unhealthy', false, 'Degraded: Deployment n/w: broken', 'Degraded', 'Deployment n/w: broken', 1],
    );
    const notAssessed = appResult(new ChangeSet('a', 'dev'), 1);
    assert.deepEqual(
      [
        notAssessed.outcome,
        notAssessed.converged,
        notAssessed.health,
        notAssessed.healthMessage,
        notAssessed.unhealthy,
        notAssessed.why,
      ],
      ['Converged', true, undefined, undefined, [], ''],
    );
    const planned = new ChangeSet('a', 'dev');
    planned.status = 'Planned';
    const p = appResult(planned, 1, sick);
    assert.deepEqual([p.outcome, p.converged, p.why], ['Planned', true, '']);
  });

  test('the result carries the app, its views by action, and copies of entries and problems', () => {
    const c = new ChangeSet('shop', 'prod');
    c.record('created', cm('a'));
    c.record('configured', cm('b'));
    c.record('unchanged', cm('c'));
    c.record('pruned', cm('d'));
    c.record('kept', cm('e'), { reason: 'k' });
    const r = appResult(c, 42);
    assert.deepEqual([r.app, r.env, r.status, r.durationMs, r.stalled], ['shop', 'prod', 'Applied', 42, false]);
    assert.deepEqual(
      [r.created, r.configured, r.unchanged, r.pruned, r.held, r.kept, r.errors],
      [['ConfigMap n/a'], ['ConfigMap n/b'], ['ConfigMap n/c'], ['ConfigMap n/d'], [], ['ConfigMap n/e: k'], []],
    );
    assert.deepEqual(
      c.of('configured').map((e) => e.ref.name),
      ['b'],
    );
    c.record('created', cm('later'));
    assert.equal(r.entries.length, 5, 'a later record does not change a result already made');
    c.fail({ kind: 'internal', message: 'x' });
    assert.equal(r.problems.length, 0);
    const failed = appResult(c, 1);
    assert.deepEqual([failed.errors, failed.stalled], [['reconcile failed: x'], false]);
    assert.deepEqual(
      failed.problems,
      [{ kind: 'internal', message: 'x' }],
      'the typed problems travel with the result',
    );
  });
});
