import * as assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { ChangeSet, appResult, withHealth } from '../../src/agent/apply/change-set';
import {
  healthAppSyncStatus,
  lastAppliedRevision,
  nextAppSyncStatus,
  pushHistory,
} from '../../src/agent/reconcile/appsync-status';
import { ObjectRef } from '../../src/model/manifest';

const cm = (name: string): ObjectRef => ({ apiVersion: 'v1', kind: 'ConfigMap', namespace: 'n', name });
const rev = { sha: 'a'.repeat(40), committedAt: new Date('2026-12-01T10:00:00Z') };
const now = new Date('2026-12-01T10:00:05Z');

function applied(...created: string[]) {
  const c = new ChangeSet('shop', 'dev');
  for (const n of created) c.record('created', cm(n));
  return appResult(c, 1000, { health: 'Healthy', message: 'ok', unhealthy: [] });
}

describe('AppSync status', () => {
  test('a converged app is Ready with the revision, commit-to-converged and an Applied Event', () => {
    const u = nextAppSyncStatus({ app: applied('a'), revision: rev, now, suspended: false });
    assert.equal(u.ready.status, 'True');
    assert.equal(u.ready.reason, 'ReconciliationSucceeded');
    assert.equal(u.status.lastAppliedRevision, rev.sha);
    assert.equal(u.commitToConvergedSeconds, 5);
    assert.deepEqual(
      u.events.map((e) => e.reason),
      ['Applied'],
    );
    assert.deepEqual(u.alerts, []);
    const again = nextAppSyncStatus({
      previous: u.status,
      app: applied(),
      revision: rev,
      now: new Date(now.getTime() + 60_000),
      suspended: false,
    });
    assert.equal(again.commitToConvergedSeconds, undefined, 'measured once per revision');
    assert.equal(again.status.commitToConvergedSeconds, 5);
    assert.deepEqual(again.events, [], 'a no-op reconcile records no Event');
  });

  test('a validation failure is Stalled; the last applied revision stays', () => {
    const c = new ChangeSet('shop', 'dev');
    c.fail({ kind: 'validation', ref: cm('x'), message: 'unknown field' });
    const u = nextAppSyncStatus({
      previous: { lastAppliedRevision: 'b'.repeat(40) },
      app: appResult(c, 10),
      revision: rev,
      now,
      suspended: false,
    });
    assert.equal(u.ready.reason, 'ReconcileFailed');
    assert.equal(u.status.conditions?.find((x) => x.type === 'Stalled')?.status, 'True');
    assert.equal(u.status.lastAppliedRevision, 'b'.repeat(40));
    assert.equal(u.status.lastAttemptedRevision, rev.sha);
    assert.deepEqual(
      u.events.map((e) => e.reason),
      ['ReconcileFailed'],
    );
    assert.deepEqual(
      u.alerts.map((a) => a.kind),
      ['ReconcileFailed'],
    );
  });

  test('a suspended app reports drift and records no Applied Event', () => {
    const c = new ChangeSet('shop', 'dev');
    c.status = 'Planned';
    c.record('configured', cm('a'));
    const u = nextAppSyncStatus({ app: appResult(c, 10), revision: rev, now, suspended: true });
    assert.equal(u.ready.status, 'Unknown');
    assert.equal(u.ready.reason, 'Suspended');
    assert.deepEqual(u.status.drift, ['ConfigMap n/a']);
    assert.deepEqual(u.events, []);
    assert.equal(u.result, 'suspended');
  });

  test('drift repaired is counted and told once, instead of Applied', () => {
    const u = nextAppSyncStatus({
      previous: { driftRepairs: 2 },
      app: applied('a'),
      revision: rev,
      now,
      suspended: false,
      drift: ['ConfigMap n/a modified'],
    });
    assert.equal(u.repaired, true);
    assert.equal(u.status.driftRepairs, 3);
    assert.deepEqual(
      u.events.map((e) => e.reason),
      ['DriftRepaired'],
    );
    assert.deepEqual(
      u.alerts.map((a) => a.kind),
      ['DriftRepaired'],
    );
  });

  test('a held prune is told once per change of reason', () => {
    const c = new ChangeSet('shop', 'dev');
    c.record('held', cm('a'), { reason: 'removes all' });
    const u = nextAppSyncStatus({ app: appResult(c, 10), revision: rev, now, suspended: false });
    assert.equal(u.ready.reason, 'PruneHeld');
    assert.deepEqual(
      u.events.map((e) => e.reason),
      ['PruneHeld'],
    );
    const again = nextAppSyncStatus({
      previous: u.status,
      app: appResult(c, 10),
      revision: rev,
      now,
      suspended: false,
    });
    assert.deepEqual(again.events, []);
  });

  test('last applied is defined once: every object written, health aside', () => {
    assert.equal(lastAppliedRevision({ status: 'Applied' }, 'new', 'old'), 'new');
    for (const s of ['Failed', 'Skipped', 'Planned'] as const)
      assert.equal(lastAppliedRevision({ status: s }, 'new', 'old'), 'old');
  });

  test('history keeps five, a repeated result replaces its entry', () => {
    let h = pushHistory(undefined, {
      revision: 'r1',
      startTime: 't',
      durationSeconds: 1,
      result: 'applied',
      message: '',
    });
    h = pushHistory(h, { revision: 'r1', startTime: 't2', durationSeconds: 1, result: 'applied', message: '' });
    assert.equal(h.length, 1);
    for (let i = 2; i < 10; i++)
      h = pushHistory(h, { revision: `r${i}`, startTime: 't', durationSeconds: 1, result: 'applied', message: '' });
    assert.deepEqual(
      h.map((x) => x.revision),
      ['r5', 'r6', 'r7', 'r8', 'r9'],
    );
  });

  test('health followed after the reconcile: Progressing, then Ready with commit-to-converged; no Applied Event, history kept', () => {
    const c = new ChangeSet('shop', 'dev');
    c.record('configured', cm('a'));
    const lb = {
      object: 'Service n/lb',
      health: 'Progressing' as const,
      message: 'waiting for a load balancer address',
    };
    const first = appResult(c, 1000, {
      health: 'Progressing',
      message: `${lb.object}: ${lb.message}`,
      unhealthy: [lb],
    });
    assert.equal(first.outcome, 'Unhealthy');
    const recorded = nextAppSyncStatus({ app: first, revision: rev, now, suspended: false });
    assert.equal(recorded.ready.reason, 'Progressing');
    assert.equal(recorded.status.lastAppliedRevision, rev.sha, 'every object written: applied, health aside');
    assert.equal(recorded.commitToConvergedSeconds, undefined);
    assert.deepEqual(
      recorded.events.map((e) => e.reason),
      ['Applied'],
    );

    const later = new Date(now.getTime() + 30_000);
    const healthy = withHealth(first, { health: 'Healthy', message: '2 objects healthy', unhealthy: [] });
    assert.deepEqual([healthy.outcome, healthy.converged, healthy.why], ['Converged', true, '']);
    const u = healthAppSyncStatus({ previous: recorded.status, app: healthy, revision: rev, now: later });
    assert.deepEqual(
      u.status.conditions?.map((x) => `${x.type}=${x.status}`),
      ['Ready=True', 'Reconciling=False', 'Stalled=False'],
    );
    assert.equal(u.commitToConvergedSeconds, 35);
    assert.deepEqual(u.status.unhealthy, []);
    assert.deepEqual(u.status.history, recorded.status.history, 'a look at health is no reconcile');
    assert.equal(u.status.lastSyncTime, recorded.status.lastSyncTime);
    assert.deepEqual(u.events, [], 'nothing was written: no Applied Event');
    assert.equal(
      healthAppSyncStatus({ previous: u.status, app: healthy, revision: rev, now: later }).commitToConvergedSeconds,
      undefined,
      'measured once',
    );

    const degraded = withHealth(first, {
      health: 'Degraded',
      message: 'Deployment n/web: rollout stalled',
      unhealthy: [{ object: 'Deployment n/web', health: 'Degraded', message: 'rollout stalled' }],
    });
    const d = healthAppSyncStatus({ previous: recorded.status, app: degraded, revision: rev, now: later });
    assert.deepEqual([d.ready.status, d.ready.reason], ['False', 'HealthCheckFailed']);
    assert.deepEqual(
      d.events.map((e) => e.reason),
      ['HealthCheckFailed'],
    );
    assert.deepEqual(
      d.alerts.map((a) => a.kind),
      ['HealthDegraded'],
    );
    assert.deepEqual(
      healthAppSyncStatus({ previous: d.status, app: degraded, revision: rev, now: later }).events,
      [],
      'told once',
    );
  });

  test("history records what each reconcile changed; a repeat that changed nothing keeps the first run's counts", () => {
    const first = nextAppSyncStatus({ app: applied('a', 'b'), revision: rev, now, suspended: false });
    assert.deepEqual(first.status.history?.at(-1)?.objects, { created: 2, configured: 0, pruned: 0 });
    const again = nextAppSyncStatus({
      previous: first.status,
      app: applied(),
      revision: rev,
      now: new Date(now.getTime() + 60_000),
      suspended: false,
    });
    assert.equal(again.status.history?.length, 1);
    assert.deepEqual(again.status.history?.[0].objects, { created: 2, configured: 0, pruned: 0 });
  });
});
