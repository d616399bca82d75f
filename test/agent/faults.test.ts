/** Faults the agent survives: the apiserver going away, the git remote down, a broken app, a rewritten branch. */
import * as assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { StatusStore } from '../../src/agent/state/status-store';
import { APP_LABEL } from '../../src/model/keys';
import { refOf } from '../../src/model/manifest';
import { configMap, deployment, synthopsTree, testClient, testObjects } from '../harness/agent';
import { eventually, testNamespace } from '../harness/cluster';
import { metricValue, startController } from '../harness/controller';
import { TestRemote } from '../harness/git';
import { startReceiver } from '../harness/receiver';
import { stopComponent } from '../cluster/plane';

function ready(s: Awaited<ReturnType<StatusStore['get']>>) {
  return s?.status?.conditions?.find((c) => c.type === 'Ready');
}

describe('agent: faults', () => {
  test('the apiserver stopped mid-run: the agent reports unready, retries, and converges once it is back', async (t) => {
    const ns = await testNamespace(t);
    const remote = TestRemote.create(t);
    remote.publish(
      'deploy',
      synthopsTree('dev', { shop: [configMap('a', ns), configMap('b', ns), deployment('web', ns)] }),
    );
    const agent = await startController(t, { repo: remote.fileUrl, branch: 'deploy', ns, retryBaseMs: 300 });
    const store = new StatusStore(await testClient(t), ns);
    await eventually('first revision converged', async () =>
      ready(await store.get('dev', 'shop'))?.status === 'True' ? true : undefined,
    );

    const restart = await stopComponent('kube-apiserver');
    let restarted = false;
    t.after(async () => {
      if (!restarted) await restart();
    });
    const rev2 = remote.publish(
      'deploy',
      synthopsTree('dev', {
        shop: [configMap('a', ns, { k: 'v2' }), configMap('b', ns), configMap('c', ns), deployment('web', ns)],
      }),
    );
    agent.controller.request('test', true);
    const unready = await eventually(
      'readyz reports the apiserver',
      async () => {
        const r = await fetch(`${agent.url}/readyz`);
        return r.status === 503 ? r.text() : undefined;
      },
      30_000,
    );
    assert.match(unready, /not ready: apiserver: /);
    await new Promise((r) => setTimeout(r, 1500)); // a few failed retries while it is away
    await restart();
    restarted = true;

    const sync = await eventually(
      'converged on the new revision',
      async () => {
        const s = await store.get('dev', 'shop');
        return s?.status?.lastAppliedRevision === rev2 && ready(s)?.status === 'True' ? s : undefined;
      },
      90_000,
    );
    assert.equal((await fetch(`${agent.url}/readyz`)).status, 200);
    const objects = await testObjects(t);
    assert.deepEqual((await objects.get(refOf(configMap('a', ns))))?.data, { k: 'v2' });
    // Nothing orphaned or half-applied: what carries the app label is exactly the inventory.
    const labelled = await objects.list('v1', 'ConfigMap', ns, `${APP_LABEL}=shop`);
    assert.deepEqual(labelled.map((m) => m.metadata.name).sort(), ['a', 'b', 'c']);
    assert.deepEqual(sync.status!.inventory!.map((r) => r.name).sort(), ['a', 'b', 'c', 'web']);
  });

  test('the git remote down: the last good revision stays, with an error status, a metric and an alert', async (t) => {
    const ns = await testNamespace(t);
    const remote = TestRemote.create(t);
    const receiver = await startReceiver(t);
    const rev1 = remote.publish('deploy', synthopsTree('dev', { shop: [configMap('a', ns)] }));
    const url = await remote.serve();
    const agent = await startController(t, {
      repo: url,
      branch: 'deploy',
      ns,
      notifyUrl: receiver.url,
      retryBaseMs: 60_000,
    });
    const store = new StatusStore(await testClient(t), ns);
    await eventually('converged', async () =>
      ready(await store.get('dev', 'shop'))?.status === 'True' ? true : undefined,
    );

    remote.stopDaemon();
    remote.publish('deploy', synthopsTree('dev', { shop: [configMap('a', ns), configMap('unseen', ns)] }));
    agent.controller.request('test', true);
    const s = await eventually('source failure in status', async () => {
      const x = await store.get('dev', 'shop');
      return ready(x)?.reason === 'SourceFailed' ? x : undefined;
    });
    assert.equal(ready(s)?.status, 'False');
    assert.match(ready(s)!.message, /remote cannot be reached/);
    assert.equal(s.status?.lastAppliedRevision, rev1, 'the last good revision stays');
    assert.ok(((await metricValue(agent.metrics, 'synthops_git_fetch_errors_total')) ?? 0) >= 1);
    assert.equal(await (await testObjects(t)).get(refOf(configMap('unseen', ns))), undefined);
    assert.ok((await store.events(s)).some((e) => e.reason === 'SourceFailed' && e.type === 'Warning'));
    await eventually('alerted', async () =>
      receiver.received.some((n) => n.kind === 'SourceFailed') ? true : undefined,
    );
  });

  test('a commit that breaks one app holds only that app at its previous revision', async (t) => {
    const ns = await testNamespace(t);
    const remote = TestRemote.create(t);
    const rev1 = remote.publish(
      'deploy',
      synthopsTree('dev', { good: [configMap('g', ns)], other: [configMap('o', ns)] }),
    );
    const agent = await startController(t, { repo: remote.fileUrl, branch: 'deploy', ns, retryBaseMs: 60_000 });
    const store = new StatusStore(await testClient(t), ns);
    await eventually('both converged', async () =>
      ready(await store.get('dev', 'good'))?.status === 'True' &&
      ready(await store.get('dev', 'other'))?.status === 'True'
        ? true
        : undefined,
    );
    const bad = { apiVersion: 'example.synthops.dev/v1', kind: 'Nope', metadata: { name: 'n', namespace: ns } };
    const rev2 = remote.publish(
      'deploy',
      synthopsTree('dev', { good: [configMap('g', ns, { k: 'v2' })], other: [configMap('o', ns, { k: 'v2' }), bad] }),
    );
    agent.controller.request('test', true);
    await eventually('good at rev2', async () =>
      (await store.get('dev', 'good'))?.status?.lastAppliedRevision === rev2 ? true : undefined,
    );
    const other = await eventually('other failed', async () => {
      const x = await store.get('dev', 'other');
      return x?.status?.lastAttemptedRevision === rev2 ? x : undefined;
    });
    assert.equal(other.status?.lastAppliedRevision, rev1);
    assert.equal(ready(other)?.reason, 'ReconcileFailed');
    const objects = await testObjects(t);
    assert.deepEqual((await objects.get(refOf(configMap('o', ns))))?.data, { k: 'v' }, 'other stays at rev1');
    assert.deepEqual((await objects.get(refOf(configMap('g', ns))))?.data, { k: 'v2' });
  });

  test('a force-pushed, unrelated history is reported (Event, status, alert) and applied as the desired state, with the prune guards in force', async (t) => {
    const ns = await testNamespace(t);
    const remote = TestRemote.create(t);
    const receiver = await startReceiver(t);
    const rev1 = remote.publish(
      'deploy',
      synthopsTree('dev', { shop: [configMap('a', ns), configMap('b', ns), configMap('c', ns)] }),
    );
    const agent = await startController(t, {
      repo: remote.fileUrl,
      branch: 'deploy',
      ns,
      notifyUrl: receiver.url,
      retryBaseMs: 60_000,
    });
    const store = new StatusStore(await testClient(t), ns);
    await eventually('converged', async () =>
      ready(await store.get('dev', 'shop'))?.status === 'True' ? true : undefined,
    );
    const rev2 = remote.forcePublish('deploy', synthopsTree('dev', { shop: [configMap('a', ns, { k: 'rewritten' })] }));
    agent.controller.request('test', true);
    const s = await eventually('rewrite reported', async () => {
      const x = await store.get('dev', 'shop');
      return x?.status?.historyRewrite?.to === rev2 ? x : undefined;
    });
    assert.equal(s.status!.historyRewrite!.from, rev1);
    assert.ok((await store.events(s)).some((e) => e.reason === 'HistoryRewritten' && e.type === 'Warning'));
    await eventually('alerted', async () =>
      receiver.received.some((n) => n.kind === 'HistoryRewritten') ? true : undefined,
    );
    const objects = await testObjects(t);
    assert.deepEqual(
      (await objects.get(refOf(configMap('a', ns))))?.data,
      { k: 'rewritten' },
      'the new tip is applied',
    );
    assert.ok(await objects.get(refOf(configMap('b', ns))), 'removing 2 of 3 objects is still held');
    assert.equal(ready(s)?.reason, 'PruneHeld');
  });
});
