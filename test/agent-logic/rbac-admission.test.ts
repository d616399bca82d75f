/** Pure parts of least privilege: RBAC rules as atoms, what the agent admits, how refusals read. */
import * as assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { atomsOf, formatAtom, roleGrant } from '../../src/agent/plan/rbac-rules';
import { reservedNamespaceProblems, serviceAccountProblems } from '../../src/agent/plan/admission';
import { ChangeSet, appResult } from '../../src/agent/apply/change-set';
import { nextAppSyncStatus } from '../../src/agent/reconcile/appsync-status';
import { formatResult } from '../../src/agent/reconcile/report';

describe('RBAC rules as atoms', () => {
  test('one atom per verb, resource and name; wildcards stay wildcards; URLs too', () => {
    const atoms = atomsOf([
      { apiGroups: [''], resources: ['serviceaccounts'], resourceNames: ['a', 'b'], verbs: ['impersonate'] },
      { apiGroups: ['*'], resources: ['*'], verbs: ['*'] },
      { nonResourceURLs: ['/metrics'], verbs: ['get'] },
      { apiGroups: [''], resources: ['serviceaccounts'], resourceNames: ['a'], verbs: ['impersonate'] },
    ]);
    assert.deepEqual(atoms.map(formatAtom), [
      'impersonate serviceaccounts/a',
      'impersonate serviceaccounts/b',
      '* *.*',
      'get /metrics',
    ]);
  });

  test("roles and cluster roles grant their rules; an aggregated ClusterRole and other kinds grant nothing of the writer's", () => {
    const rules = [{ apiGroups: [''], resources: ['configmaps'], verbs: ['get'] }];
    assert.deepEqual(
      roleGrant({
        apiVersion: 'rbac.authorization.k8s.io/v1',
        kind: 'Role',
        metadata: { name: 'r', namespace: 'x' },
        rules,
      }),
      { kind: 'Role', name: 'r', namespace: 'x', rules },
    );
    assert.deepEqual(
      roleGrant({ apiVersion: 'rbac.authorization.k8s.io/v1', kind: 'ClusterRole', metadata: { name: 'c' }, rules }),
      { kind: 'ClusterRole', name: 'c', rules },
    );
    assert.equal(
      roleGrant({
        apiVersion: 'rbac.authorization.k8s.io/v1',
        kind: 'ClusterRole',
        metadata: { name: 'agg' },
        aggregationRule: {},
        rules,
      }),
      undefined,
    );
    assert.equal(roleGrant({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'Role' } }), undefined);
  });
});

describe('what the agent admits', () => {
  const policy = {
    agentNamespace: 'synthops-system',
    ownApp: 'synthops-agent',
    allowedServiceAccounts: ['shop/deployer'],
  };

  test("ServiceAccounts: the listed ones only; never kube-system's or the agent namespace's, listed or not; no list allows any other", () => {
    assert.deepEqual(serviceAccountProblems('shop/deployer', policy), []);
    assert.deepEqual(serviceAccountProblems(undefined, policy), []);
    assert.match(
      serviceAccountProblems('shop/default', policy)[0].message,
      /ServiceAccount shop\/default is not one the agent may act as \(allowed: shop\/deployer\)/,
    );
    assert.match(
      serviceAccountProblems('kube-system/namespace-controller', {
        ...policy,
        allowedServiceAccounts: ['kube-system/namespace-controller'],
      })[0].message,
      /is in kube-system/,
    );
    assert.match(
      serviceAccountProblems('synthops-system/synthops-agent', { agentNamespace: 'synthops-system' })[0].message,
      /of its own namespace/,
    );
    assert.deepEqual(serviceAccountProblems('other/deployer', { agentNamespace: 'synthops-system' }), []);
    assert.match(
      serviceAccountProblems('shop/deployer', { ...policy, allowedServiceAccounts: [] })[0].message,
      /\(allowed: none\)/,
    );
  });

  test('the agent namespace: its own app may write there; any other app, its objects there or the Namespace itself, is refused; not reserved without an own app', () => {
    const objects = [
      { manifest: { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'ok', namespace: 'shop' } }, origin: 'a#0' },
      {
        manifest: {
          apiVersion: 'rbac.authorization.k8s.io/v1',
          kind: 'RoleBinding',
          metadata: { name: 'rb', namespace: 'synthops-system' },
        },
        origin: 'a#1',
      },
      { manifest: { apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'synthops-system' } }, origin: 'a#2' },
    ];
    assert.deepEqual(reservedNamespaceProblems('synthops-agent', objects, policy), []);
    assert.deepEqual(
      reservedNamespaceProblems('shop', objects, policy).map((p) => [p.kind, p.origin]),
      [
        ['reserved-namespace', 'a#1'],
        ['reserved-namespace', 'a#2'],
      ],
    );
    assert.deepEqual(reservedNamespaceProblems('shop', objects, { agentNamespace: 'synthops-system' }), []);
  });
});

describe('how refusals read', () => {
  const now = new Date('2030-01-01T00:00:00Z');
  const revision = { sha: 'a'.repeat(40), committedAt: now };
  const failed = (kind: 'read-forbidden' | 'needs-bootstrap' | 'service-account-not-allowed', message: string) => {
    const c = new ChangeSet('shop', 'prod');
    c.fail({ kind, message });
    return appResult(c, 1);
  };

  test('each kind has its own Ready reason and Event; refusals and needs-bootstrap stall, a forbidden read is retried', () => {
    for (const [kind, reason, stalled] of [
      ['read-forbidden', 'ReadForbidden', false],
      ['needs-bootstrap', 'NeedsBootstrap', true],
      ['service-account-not-allowed', 'NotAllowed', true],
    ] as const) {
      const app = failed(kind, 'x');
      assert.equal(app.stalled, stalled, kind);
      const u = nextAppSyncStatus({ app, revision, now, suspended: false });
      assert.equal(u.ready.reason, reason);
      assert.deepEqual(
        u.events.map((e) => [e.type, e.reason]),
        [['Warning', reason]],
      );
      // The same failure again, same revision: no second Event.
      assert.deepEqual(nextAppSyncStatus({ previous: u.status, app, revision, now, suspended: false }).events, []);
    }
  });

  test('a dry run never says converged', () => {
    const planned = new ChangeSet('synthops-agent', 'prod');
    planned.status = 'Planned';
    const r = { revision: 'b'.repeat(40), env: 'prod', apps: [appResult(planned, 1)], converged: true };
    const dry = formatResult(r, true);
    assert.ok(!dry.some((l) => /\bconverged\b/.test(l)), dry.join('\n'));
    assert.equal(dry[dry.length - 1], 'plan valid: every app would apply (nothing was written)');
    assert.equal(formatResult(r, false).pop(), 'converged');
  });
});
