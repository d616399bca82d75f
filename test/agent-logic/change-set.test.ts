import * as assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { ChangeSet, appResult, formatProblem } from '../../src/agent/apply/change-set';
import { KubeApiError } from '../../src/kube/errors';
import { ObjectRef } from '../../src/model/manifest';

const cm = (name: string): ObjectRef => ({ apiVersion: 'v1', kind: 'ConfigMap', namespace: 'n', name });

describe('change set', () => {
  test('entries are formatted as the reports show them', () => {
    const c = new ChangeSet('shop', 'dev');
    c.record('created', cm('a'), { origin: 'a.yaml#0' });
    c.record('pruned', cm('b'), { note: 'would be pruned' });
    c.record('held', cm('c'), { reason: 'removes all 1 objects' });
    c.record('kept', cm('d'), { reason: 'annotated synthops.dev/prune: disabled' });
    const r = appResult(c, 5);
    assert.deepEqual(r.created, ['ConfigMap n/a']);
    assert.deepEqual(r.pruned, ['ConfigMap n/b (would be pruned)']);
    assert.deepEqual(r.held, ['ConfigMap n/c: removes all 1 objects']);
    assert.deepEqual(r.kept, ['ConfigMap n/d: annotated synthops.dev/prune: disabled']);
  });

  test('convergence comes from the types: held prunes and unhealthy objects are not converged', () => {
    const ok = appResult(new ChangeSet('a', 'dev'), 1, { health: 'Healthy', message: 'fine', unhealthy: [] });
    assert.equal(ok.outcome, 'Converged');
    assert.equal(ok.converged, true);
    assert.equal(ok.why, '');
    const held = new ChangeSet('a', 'dev');
    held.record('held', cm('x'), { reason: 'mass removal' });
    assert.equal(appResult(held, 1).outcome, 'PruneHeld');
    assert.equal(appResult(held, 1).converged, false);
    assert.match(appResult(held, 1).why, /^prune held: ConfigMap n\/x: mass removal$/);
    const sick = appResult(new ChangeSet('a', 'dev'), 1, {
      health: 'Progressing',
      message: 'Deployment n/w: 0 of 1 updated',
      unhealthy: [],
    });
    assert.equal(sick.outcome, 'Unhealthy');
    assert.equal(sick.why, 'Progressing: Deployment n/w: 0 of 1 updated');
    const planned = new ChangeSet('a', 'dev');
    planned.status = 'Planned';
    planned.record('held', cm('y'), { reason: 'r' });
    assert.equal(appResult(planned, 1).converged, true, 'a dry run plans, it does not converge or fail');
  });

  test('Stalled is decided by the kind of problem, never by its wording', () => {
    const v = new ChangeSet('a', 'dev');
    v.fail({
      kind: 'validation',
      ref: cm('x'),
      origin: 'x.yaml#0',
      message: 'field not declared in schema',
      cause: new KubeApiError(422, 'Invalid', 'bad'),
    });
    assert.equal(v.status, 'Failed');
    assert.equal(v.stalled, true);
    const apiDown = new ChangeSet('a', 'dev');
    apiDown.fail({ kind: 'internal', message: 'validation failed because the server went away' });
    assert.equal(apiDown.stalled, false, 'a transient failure whose text says "validation" is not Stalled');
    const dep = new ChangeSet('b', 'dev');
    dep.fail({ kind: 'dependency-not-ready', message: 'a (Failed)' });
    assert.equal(dep.status, 'Skipped');
    assert.equal(appResult(dep, 1).why, 'DependencyNotReady: waits for a (Failed)');
  });

  test('problems name the object, its file and the cause', () => {
    assert.equal(
      formatProblem({ kind: 'validation', ref: cm('x'), origin: 'x.yaml#0', message: 'm' }),
      'validation failed, nothing of this app was written: ConfigMap n/x (x.yaml#0): m',
    );
    assert.equal(
      formatProblem({ kind: 'apply', ref: cm('x'), origin: 'x.yaml#1', message: 'm' }),
      'ConfigMap n/x (x.yaml#1): apply failed: m',
    );
    assert.equal(
      formatProblem({ kind: 'validation-after-foundation', ref: cm('x'), message: 'm' }),
      'validation failed after its CRD/Namespace was applied; the rest of the app was not written: ConfigMap n/x: m',
    );
    assert.equal(
      formatProblem({ kind: 'invalid-object', ref: cm('x'), origin: 'o', message: 'm' }),
      'ConfigMap n/x (o): m',
    );
    assert.equal(formatProblem({ kind: 'dependency-cycle', message: 'a, b' }), 'dependency cycle among a, b');
  });
});
