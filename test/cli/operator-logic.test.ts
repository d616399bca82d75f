/** The pure parts of the operator commands and of the agent's reconcile requests. */
import * as assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { AppSync } from '../../src/model/appsync';
import { openRequest } from '../../src/agent/controller/requests';
import { requestState } from '../../src/cli/reconcile';
import { historyItems } from '../../src/cli/history';
import { TreeItem, treeRows, worstHealth } from '../../src/cli/tree';
import { statusItem, statusTable } from '../../src/cli/status';
import { outDir } from '../../src/cli/cluster-options';
import { table } from '../../src/cli/output-format';

const REQUESTED = 'synthops.dev/reconcile-requested-at';

function sync(
  o: {
    annotations?: Record<string, string>;
    handled?: string;
    ready?: 'True' | 'False' | 'Unknown';
    reason?: string;
    reconciling?: 'True' | 'False';
    suspend?: boolean;
    revision?: string;
  } = {},
): AppSync {
  const conditions = o.ready
    ? [
        {
          type: 'Ready' as const,
          status: o.ready,
          reason: o.reason ?? 'R',
          message: 'm',
          lastTransitionTime: '2026-01-01T00:00:00Z',
        },
        {
          type: 'Reconciling' as const,
          status: o.reconciling ?? 'False',
          reason: o.reason ?? 'R',
          message: 'm',
          lastTransitionTime: '2026-01-01T00:00:00Z',
        },
      ]
    : undefined;
  return {
    metadata: { name: 'dev.web', namespace: 'ns', annotations: o.annotations },
    spec: { app: 'web', env: 'dev', suspend: o.suspend },
    status: { lastHandledReconcileAt: o.handled, conditions, lastAppliedRevision: o.revision },
  };
}

describe('operator logic', () => {
  test('a reconcile request is open until its value is the handled one', () => {
    assert.equal(openRequest(sync()), undefined);
    assert.equal(openRequest(sync({ annotations: { [REQUESTED]: 't1' } })), 't1');
    assert.equal(openRequest(sync({ annotations: { [REQUESTED]: 't1' }, handled: 't1' })), undefined);
    assert.equal(
      openRequest(sync({ annotations: { [REQUESTED]: 't2' }, handled: 't1' })),
      't2',
      'a new value is a new request',
    );
  });

  test('reconcile --wait: waits for the handled value, then for health; done on anything else', () => {
    const t = 't1';
    assert.equal(
      requestState(sync({ handled: 't0', ready: 'True' }), t).done,
      false,
      'an older handled value is not this request',
    );
    const ok = requestState(sync({ handled: t, ready: 'True', revision: 'a'.repeat(40) }), t);
    assert.deepEqual(ok, { done: true, converged: true, line: 'converged at revision aaaaaaaaaaaa' });
    assert.equal(
      requestState(sync({ handled: t, ready: 'False', reason: 'Progressing', reconciling: 'True' }), t).done,
      false,
      'progressing: keep waiting',
    );
    const failed = requestState(sync({ handled: t, ready: 'False', reason: 'ReconcileFailed' }), t);
    assert.deepEqual([failed.done, failed.done && failed.converged], [true, false]);
    const suspended = requestState(
      sync({ handled: t, ready: 'Unknown', reason: 'Suspended', annotations: { 'synthops.dev/suspend': 'true' } }),
      t,
    );
    assert.match(suspended.line, /^reconciled, but suspended: .*synthops resume web/);
    assert.deepEqual(requestState(undefined, t), {
      done: true,
      converged: false,
      line: 'the AppSync is gone (the app left Git, or its agent removed it)',
    });
  });

  test('history: trailers read, rollbacks and what they replaced marked, live per AppSync', () => {
    const c = (sha: string, trailers: Record<string, string[]>) => ({
      sha: sha.repeat(40),
      committedAt: '2026-01-01T00:00:00Z',
      subject: `s ${sha}`,
      trailers,
    });
    const items = historyItems(
      [
        c('c', { 'Rollback-Of': ['b'.repeat(40)], 'Rollback-To': ['a'.repeat(40)], 'Source-Commit': ['1'.repeat(40)] }),
        c('b', { 'Source-Commit': ['2'.repeat(40)], 'Allow-Prune': ['web, api'] }),
        c('a', { 'Source-Commit': ['1'.repeat(40)] }),
      ],
      [sync({ revision: 'c'.repeat(40) }), { ...sync({ revision: 'a'.repeat(40) }), spec: { app: 'api', env: 'dev' } }],
    );
    assert.deepEqual(
      items.map((i) => [
        i.sha[0],
        i.rollback,
        i.rollbackTo?.[0] ?? null,
        i.rolledBackBy?.[0] ?? null,
        i.allowPrune,
        i.live,
      ]),
      [
        ['c', true, 'a', null, [], ['dev/web']],
        ['b', false, null, 'c', ['web', 'api'], []],
        ['a', false, null, null, [], ['dev/api']],
      ],
    );
  });

  test('tree: rows drawn like kubectl tree; the worst health of the inventory', () => {
    const leaf = (kind: string, name: string, health: TreeItem['health'] = 'Healthy'): TreeItem => ({
      apiVersion: 'v1',
      kind,
      namespace: 'ns',
      name,
      health,
      reason: 'r',
      children: [],
    });
    const items: TreeItem[] = [
      {
        ...leaf('Deployment', 'web'),
        children: [
          { ...leaf('ReplicaSet', 'web-1'), children: [leaf('Pod', 'web-1-a'), leaf('Pod', 'web-1-b')] },
          leaf('ReplicaSet', 'web-0'),
        ],
      },
      leaf('Service', 'web', 'Missing'),
    ];
    assert.deepEqual(
      treeRows(items, false).map((r) => r[0]),
      [
        'Deployment ns/web',
        '├─ ReplicaSet ns/web-1',
        '│  ├─ Pod ns/web-1-a',
        '│  └─ Pod ns/web-1-b',
        '└─ ReplicaSet ns/web-0',
        'Service ns/web',
      ],
    );
    assert.equal(worstHealth(items), 'Missing');
    assert.equal(worstHealth([leaf('A', 'a', 'Progressing'), leaf('B', 'b', 'Degraded')]), 'Degraded');
    assert.equal(worstHealth([]), 'Healthy');
  });

  test('status: the machine form keeps every key, null when absent; the table is unchanged', () => {
    const i = statusItem(sync());
    assert.equal(i.ready, 'Unknown');
    assert.equal(i.reason, 'NeverReconciled');
    assert.equal(i.lastAppliedRevision, null);
    assert.equal(i.source, null);
    assert.equal('events' in i, false, 'events only for one app');
    assert.deepEqual(statusTable([i], false), [
      'APP  ENV  REVISION  READY    MESSAGE  LAST SYNC  COMMIT-TO-CONVERGED',
      'web  dev  -         Unknown           -          -',
    ]);
  });

  test('--out refuses an output format name and keeps a path', () => {
    for (const v of ['json', 'yaml', 'table', 'wide'])
      assert.throws(() => outDir(v), /write --out \.\/\w+ if you mean a folder/);
    assert.equal(outDir('./json'), './json');
    assert.equal(outDir('dist'), 'dist');
    assert.deepEqual(
      table([
        ['A', 'BB'],
        ['ccc', 'd'],
      ]),
      ['A    BB', 'ccc  d'],
    );
  });
});
