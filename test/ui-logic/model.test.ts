/** The UI's pure model: states, overview filter and order, health detail, owner references, problems. */
import * as assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { KubeApiError } from '../../src/kube/errors';
import type { AppSync } from '../../src/agent/state/status-store';
import { Manifest } from '../../src/model/manifest';
import { liveHealth } from '../../src/ui/health-detail';
import { ownedBy } from '../../src/ui/live-inventory';
import { PAGE_SIZE, buildOverview, filterQuery, pageOf, parseFilter } from '../../src/ui/overview-model';
import { describeProblem, readProblem } from '../../src/ui/problems';
import { stateOf } from '../../src/ui/state';
import { ago } from '../../src/ui/format';

function sync(
  app: string,
  reason?: string,
  status: 'True' | 'False' | 'Unknown' = 'False',
  extra: Partial<AppSync['spec']> = {},
  env = 'dev',
): AppSync {
  return {
    metadata: { name: `${env}.${app}`, namespace: 'ns' },
    spec: { app, env, ...extra },
    status: reason
      ? {
          conditions: [
            {
              type: 'Ready',
              status,
              reason,
              message: `${app} is ${reason}`,
              lastTransitionTime: '2026-01-01T00:00:00Z',
            },
          ],
        }
      : undefined,
  };
}

describe('ui: app states', () => {
  test('condition reasons map to Ready, Progressing, Degraded, Prune held and Suspended', () => {
    assert.equal(stateOf(sync('a', 'ReconciliationSucceeded', 'True')), 'Ready');
    for (const r of ['Progressing', 'DependencyNotReady']) assert.equal(stateOf(sync('a', r)), 'Progressing', r);
    for (const r of ['HealthCheckFailed', 'ReconcileFailed', 'SourceFailed', 'BuildFailed'])
      assert.equal(stateOf(sync('a', r)), 'Degraded', r);
    assert.equal(stateOf(sync('a', 'PruneHeld')), 'PruneHeld');
    assert.equal(stateOf(sync('a', 'Suspended', 'Unknown')), 'Suspended');
    assert.equal(stateOf(sync('a', 'ReconciliationSucceeded', 'True', { suspend: true })), 'Suspended');
    assert.equal(stateOf(sync('a')), 'Progressing', 'not reconciled yet');
  });

  test('the overview sorts worst first, counts every app, filters by state, env and text', () => {
    const all = [
      sync('b', 'ReconciliationSucceeded', 'True'),
      sync('a', 'ReconciliationSucceeded', 'True'),
      sync('c', 'PruneHeld'),
      sync('d', 'HealthCheckFailed'),
      sync('e', 'Progressing', 'False', {}, 'prod'),
    ];
    const o = buildOverview(all, parseFilter(new URLSearchParams('')));
    assert.deepEqual(
      o.rows.map((r) => r.sync.spec.app),
      ['d', 'c', 'e', 'a', 'b'],
    );
    assert.deepEqual(o.counts, { Degraded: 1, PruneHeld: 1, Progressing: 1, Suspended: 0, Ready: 2 });
    assert.deepEqual(o.envs, ['dev', 'prod']);
    assert.deepEqual(
      buildOverview(all, parseFilter(new URLSearchParams('state=Ready'))).rows.map((r) => r.sync.spec.app),
      ['a', 'b'],
    );
    assert.deepEqual(
      buildOverview(all, parseFilter(new URLSearchParams('env=prod'))).rows.map((r) => r.sync.spec.app),
      ['e'],
    );
    assert.deepEqual(
      buildOverview(all, parseFilter(new URLSearchParams('q=HEALTHCHECK'))).rows.map((r) => r.sync.spec.app),
      ['d'],
    );
    assert.equal(parseFilter(new URLSearchParams('state=Bogus')).state, undefined);
    assert.equal(filterQuery({ state: 'Degraded', q: 'a b' }), '?state=Degraded&q=a+b');
    assert.equal(filterQuery({ q: '' }), '');
  });

  test('pages of rows: the first by default, any by number (clamped), or all', () => {
    const rows = Array.from({ length: PAGE_SIZE * 2 + 5 }, (_, i) => i);
    assert.deepEqual(
      [pageOf(rows, undefined).rows.length, pageOf(rows, undefined).first, pageOf(rows, undefined).pages],
      [PAGE_SIZE, 0, 3],
    );
    assert.deepEqual(pageOf(rows, 3).rows, [
      PAGE_SIZE * 2,
      PAGE_SIZE * 2 + 1,
      PAGE_SIZE * 2 + 2,
      PAGE_SIZE * 2 + 3,
      PAGE_SIZE * 2 + 4,
    ]);
    assert.equal(pageOf(rows, 9).first, PAGE_SIZE * 2);
    assert.equal(pageOf(rows, 'all').rows.length, rows.length);
    assert.equal(parseFilter(new URLSearchParams('page=2')).page, 2);
    assert.equal(parseFilter(new URLSearchParams('page=all')).page, 'all');
    assert.equal(parseFilter(new URLSearchParams('page=-1')).page, undefined);
    assert.equal(filterQuery({ q: '', page: 2 }), '?page=2');
  });

  test('ages', () => {
    const now = Date.parse('2026-01-01T01:00:00Z');
    assert.equal(ago('2026-01-01T00:59:30Z', now), '30s ago');
    assert.equal(ago('2026-01-01T00:30:00Z', now), '30m ago');
    assert.equal(ago(undefined, now), '-');
  });
});

describe('ui: live health detail', () => {
  const pod = (status: Record<string, unknown>): Manifest => ({
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name: 'p', namespace: 'n' },
    status,
  });

  test('a Pod says why it is not ready: image pulls, crash loops, scheduling', () => {
    assert.deepEqual(
      liveHealth(
        pod({
          phase: 'Pending',
          containerStatuses: [
            { name: 'web', state: { waiting: { reason: 'ImagePullBackOff', message: 'Back-off pulling image "x"' } } },
          ],
        }),
      ),
      { health: 'Degraded', reason: 'container web: ImagePullBackOff: Back-off pulling image "x"' },
    );
    assert.deepEqual(
      liveHealth(
        pod({
          phase: 'Pending',
          conditions: [
            { type: 'PodScheduled', status: 'False', reason: 'Unschedulable', message: '0/2 nodes are available' },
          ],
        }),
      ),
      { health: 'Progressing', reason: 'not scheduled: Unschedulable: 0/2 nodes are available' },
    );
    assert.deepEqual(liveHealth(pod({ phase: 'Running', conditions: [{ type: 'Ready', status: 'True' }] })), {
      health: 'Healthy',
      reason: 'ready',
    });
  });

  test('owner references link ReplicaSets to their Deployment by uid', () => {
    const dep = { apiVersion: 'apps/v1', kind: 'Deployment', metadata: { name: 'd', uid: 'u1' } } as Manifest;
    const rs = (name: string, uid: string) =>
      ({
        apiVersion: 'apps/v1',
        kind: 'ReplicaSet',
        metadata: { name, ownerReferences: [{ uid, controller: true }] },
      }) as unknown as Manifest;
    assert.deepEqual(
      ownedBy(dep, [rs('a', 'u1'), rs('b', 'u2')]).map((m) => m.metadata.name),
      ['a'],
    );
  });
});

describe('ui: read problems', () => {
  test('403 names verb, resource and namespace; a failed connection is unreachable', () => {
    const p = readProblem(new KubeApiError(403, 'Forbidden', 'no'), 'list', {
      resource: 'appsyncs',
      group: 'synthops.dev',
      namespace: 'synthops-system',
    });
    assert.equal(
      describeProblem(p),
      'Permission denied: your Kubernetes user may not list appsyncs.synthops.dev in namespace synthops-system.',
    );
    assert.equal(
      readProblem(new Error('connect ECONNREFUSED'), 'list', { resource: 'pods', group: '' }).kind,
      'unreachable',
    );
    assert.equal(
      readProblem(new KubeApiError(401, 'Unauthorized', 'no'), 'list', { resource: 'pods', group: '' }).kind,
      'unauthorized',
    );
  });
});
