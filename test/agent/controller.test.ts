/** The long-running agent: polling, webhook, drift repair, status, Events, metrics, notifications, suspend. */
import * as k8s from '@kubernetes/client-node';
import { createHmac } from 'crypto';
import * as assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { StatusStore } from '../../src/agent/state/status-store';
import { refOf } from '../../src/model/manifest';
import { configMap, deployment, synthopsTree, testClient, testObjects } from '../harness/agent';
import { spawnSync } from 'child_process';
import * as path from 'path';
import { Manifest } from '../../src/model/manifest';
import { eventually, testKubeConfig, testKubeconfig, testNamespace } from '../harness/cluster';
import { REPO_ROOT } from '../harness/config-repo';
import { metricValue, startController } from '../harness/controller';
import { TestRemote } from '../harness/git';
import { startReceiver } from '../harness/receiver';

const SECRET = 'webhook-secret-for-tests';

function sign(body: string, secret = SECRET): string {
  return `sha256=${createHmac('sha256', secret).update(body).digest('hex')}`;
}

describe('agent: the long-running controller', () => {
  test('a new commit is picked up by polling', async (t) => {
    const ns = await testNamespace(t);
    const remote = TestRemote.create(t);
    remote.publish('deploy', synthopsTree('dev', { shop: [configMap('a', ns)] }));
    const agent = await startController(t, { repo: remote.fileUrl, branch: 'deploy', ns, intervalMs: 1000 });
    const objects = await testObjects(t);
    await eventually('first revision applied', () => objects.get(refOf(configMap('a', ns))));
    remote.publish('deploy', synthopsTree('dev', { shop: [configMap('a', ns), configMap('b', ns)] }));
    await eventually('new commit applied by polling', () => objects.get(refOf(configMap('b', ns))), 20_000);
    assert.ok(agent.logs.some((l) => Array.isArray(l.reasons) && (l.reasons as string[]).includes('interval')));
  });

  test('a webhook with a valid signature reconciles at once; a bad or missing one gets 401 and triggers nothing', async (t) => {
    const ns = await testNamespace(t);
    const remote = TestRemote.create(t);
    const secret = {
      apiVersion: 'v1',
      kind: 'Secret',
      metadata: { name: 'creds', namespace: ns },
      stringData: { password: 'very-private-value-123' },
    };
    remote.publish('deploy', synthopsTree('dev', { shop: [configMap('a', ns), secret] }));
    const agent = await startController(t, { repo: remote.fileUrl, branch: 'deploy', ns, webhookSecret: SECRET });
    const objects = await testObjects(t);
    await eventually('first revision applied', () => objects.get(refOf(configMap('a', ns))));
    await eventually('idle', async () => (agent.controller.cycles >= 1 ? true : undefined));
    // The logger's own redaction, fed what it exists for: a message that escaped the
    // redaction upstream (an error quoting a Secret of the revision), a Secret object,
    // and a token under a secret-looking key that is in no Secret.
    const value = 'very-private-value-123';
    agent.log.error(
      {
        err: `apply failed: password ${value} (${Buffer.from(value).toString('base64')})`,
        object: secret,
        auth: { token: 'bearer-token-in-no-secret' },
      },
      `a message that quotes ${value}`,
    );
    assert.ok(
      agent.logs.some((l) => typeof l.err === 'string' && l.err.startsWith('apply failed: password [redacted]')),
      'the line was logged, redacted',
    );
    remote.publish('deploy', synthopsTree('dev', { shop: [configMap('a', ns), configMap('hooked', ns)] }));

    const body = JSON.stringify({ ref: 'refs/heads/deploy' });
    for (const signature of [undefined, sign(body, 'wrong-secret'), 'sha256=00']) {
      const r = await fetch(`${agent.url}/webhook`, {
        method: 'POST',
        body,
        headers: signature ? { 'X-Hub-Signature-256': signature } : {},
      });
      assert.equal(r.status, 401);
    }
    await new Promise((r) => setTimeout(r, 1500));
    assert.equal(await objects.get(refOf(configMap('hooked', ns))), undefined, 'rejected webhooks triggered nothing');

    const t0 = Date.now();
    const ok = await fetch(`${agent.url}/webhook`, {
      method: 'POST',
      body,
      headers: { 'X-Hub-Signature-256': sign(body), 'X-GitHub-Event': 'push' },
    });
    assert.equal(ok.status, 202);
    await eventually('webhook reconcile', () => objects.get(refOf(configMap('hooked', ns))), 10_000);
    process.stdout.write(`# webhook to applied: ${Date.now() - t0} ms\n`);
    const logged = JSON.stringify(agent.logs);
    assert.ok(agent.logs.length > 5);
    for (const value of [
      SECRET,
      'very-private-value-123',
      Buffer.from('very-private-value-123').toString('base64'),
      'bearer-token-in-no-secret',
    ])
      assert.equal(logged.includes(value), false, 'no secret value in the logs');
  });

  test('a new commit reconciles at once only the apps it changes', async (t) => {
    const ns = await testNamespace(t);
    const remote = TestRemote.create(t);
    const first = remote.publish('deploy', synthopsTree('dev', { a: [configMap('a', ns)], b: [configMap('b', ns)] }));
    const agent = await startController(t, { repo: remote.fileUrl, branch: 'deploy', ns, webhookSecret: SECRET });
    const store = new StatusStore(await testClient(t), ns);
    await eventually('both converged', async () =>
      (await store.get('dev', 'a'))?.status?.lastAppliedRevision === first &&
      (await store.get('dev', 'b'))?.status?.lastAppliedRevision === first &&
      agent.controller.cycles >= 1
        ? true
        : undefined,
    );
    const second = remote.publish(
      'deploy',
      synthopsTree('dev', { a: [configMap('a', ns, { k: 'changed' })], b: [configMap('b', ns)] }),
    );
    const body = '{}';
    await fetch(`${agent.url}/webhook`, { method: 'POST', body, headers: { 'X-Hub-Signature-256': sign(body) } });
    await eventually('a at the new revision', async () =>
      (await store.get('dev', 'a'))?.status?.lastAppliedRevision === second ? true : undefined,
    );
    const started = agent.logs.filter((l) => l.msg === 'reconcile started' && l.revision === second);
    assert.deepEqual(
      started.map((l) => l.apps),
      [['a']],
      'only the changed app',
    );
    assert.equal(
      (await store.get('dev', 'b'))?.status?.lastAppliedRevision,
      first,
      'b follows at the next full reconcile',
    );
  });

  test('kubectl delete and edit of managed objects are repaired, with an Event, a metric and a notification; other fields are left alone', async (t) => {
    const ns = await testNamespace(t);
    const remote = TestRemote.create(t);
    const receiver = await startReceiver(t, 1);
    remote.publish('deploy', synthopsTree('dev', { shop: [configMap('a', ns), deployment('web', ns)] }));
    const agent = await startController(t, { repo: remote.fileUrl, branch: 'deploy', ns, notifyUrl: receiver.url });
    const kc = await testKubeConfig();
    const core = kc.makeApiClient(k8s.CoreV1Api);
    const apps = kc.makeApiClient(k8s.AppsV1Api);
    await eventually('converged and watching', async () =>
      (await metricValue(agent.metrics, 'synthops_app_ready', { app: 'shop' })) === 1 && agent.controller.cycles >= 1
        ? true
        : undefined,
    );

    await core.deleteNamespacedConfigMap({ name: 'a', namespace: ns });
    await eventually(
      'deleted ConfigMap restored',
      () => core.readNamespacedConfigMap({ name: 'a', namespace: ns }).catch(() => undefined),
      10_000,
    );

    await apps.patchNamespacedDeployment(
      {
        name: 'web',
        namespace: ns,
        body: {
          spec: { template: { spec: { containers: [{ name: 'web', image: 'docker.io/library/nginx:1.27' }] } } },
          metadata: { annotations: { 'team.example.com/owner': 'payments' } },
        },
      },
      k8s.setHeaderOptions('Content-Type', k8s.PatchStrategy.StrategicMergePatch),
    );
    await eventually(
      'edited image restored',
      async () => {
        const d = await apps.readNamespacedDeployment({ name: 'web', namespace: ns });
        return d.spec?.template.spec?.containers[0].image === 'docker.io/kostiscodefresh/simple-web-app:3d9b390'
          ? d
          : undefined;
      },
      10_000,
    );
    const d = await apps.readNamespacedDeployment({ name: 'web', namespace: ns });
    assert.equal(
      d.metadata?.annotations?.['team.example.com/owner'],
      'payments',
      'a field owned by another manager stays',
    );

    await eventually('two drift repairs counted', async () =>
      ((await metricValue(agent.metrics, 'synthops_drift_repairs_total', { app: 'shop' })) ?? 0) >= 2
        ? true
        : undefined,
    );
    const store = new StatusStore(await testClient(t), ns);
    const sync = (await store.get('dev', 'shop'))!;
    const events = await store.events(sync);
    assert.ok(events.filter((e) => e.reason === 'DriftRepaired').length >= 2, JSON.stringify(events));
    const restoredCm = new RegExp(
      `^restored ConfigMap ${ns}/a to revision [0-9a-f]{12} after: ConfigMap ${ns}/a deleted`,
    );
    assert.ok(
      events.some((e) => e.reason === 'DriftRepaired' && restoredCm.test(e.message)),
      JSON.stringify(events.map((e) => e.message)),
    );
    assert.ok(
      events.some((e) => e.reason === 'DriftRepaired' && e.message.startsWith(`restored Deployment ${ns}/web`)),
    );
    assert.ok((sync.status?.driftRepairs ?? 0) >= 2);
    await agent.notifier.flush();
    await eventually('notifications delivered (after a failed first attempt)', async () =>
      receiver.received.filter((n) => n.kind === 'DriftRepaired').length >= 2 ? true : undefined,
    );
    const n = receiver.received.find((x) => x.kind === 'DriftRepaired')!;
    assert.deepEqual([n.app, n.env, n.source], ['shop', 'dev', 'synthops']);
    assert.match(String(n.revision), /^[0-9a-f]{40}$/);
  });

  test('status, Events and metrics tell what happened: revision, conditions, inventory, history, commit-to-converged', async (t) => {
    const ns = await testNamespace(t);
    const remote = TestRemote.create(t);
    const receiver = await startReceiver(t);
    const bad = { apiVersion: 'example.synthops.dev/v1', kind: 'Nope', metadata: { name: 'n', namespace: ns } };
    const sha = remote.publish('deploy', synthopsTree('dev', { good: [configMap('g', ns)], broken: [bad] }));
    const agent = await startController(t, {
      repo: remote.fileUrl,
      branch: 'deploy',
      ns,
      notifyUrl: receiver.url,
      retryBaseMs: 60_000,
    });
    const store = new StatusStore(await testClient(t), ns);
    const good = await eventually('good app status', async () => {
      const s = await store.get('dev', 'good');
      return s?.status?.conditions?.find((c) => c.type === 'Ready')?.status === 'True' ? s : undefined;
    });
    const st = good.status!;
    assert.equal(st.lastAppliedRevision, sha);
    assert.equal(st.lastAttemptedRevision, sha);
    assert.deepEqual(st.inventory, [{ apiVersion: 'v1', kind: 'ConfigMap', namespace: ns, name: 'g' }]);
    assert.ok(typeof st.commitToConvergedSeconds === 'number' && st.commitToConvergedSeconds >= 0);
    assert.equal(st.history?.length, 1);
    assert.equal(st.history?.[0].result, 'applied');
    assert.deepEqual(
      st.conditions?.map((c) => `${c.type}=${c.status}`),
      ['Ready=True', 'Reconciling=False', 'Stalled=False'],
    );

    const broken = (
      await eventually('broken app status', async () => {
        const s = await store.get('dev', 'broken');
        return s?.status?.conditions ? s : undefined;
      })
    ).status!;
    const ready = broken.conditions!.find((c) => c.type === 'Ready')!;
    assert.deepEqual([ready.status, ready.reason], ['False', 'ReconcileFailed']);
    assert.match(ready.message, /the API has no kind Nope in example\.synthops\.dev\/v1/);
    assert.equal(broken.lastAppliedRevision, undefined);
    const events = await store.events((await store.get('dev', 'broken'))!);
    assert.ok(events.some((e) => e.type === 'Warning' && e.reason === 'ReconcileFailed'));

    const metrics = await agent.metrics.registry.metrics();
    for (const name of [
      'synthops_reconcile_duration_seconds_bucket',
      'synthops_reconciles_total',
      'synthops_objects_total',
      'synthops_app_ready',
      'synthops_last_applied_revision_info',
      'synthops_commit_to_converged_seconds',
      'synthops_git_fetch_duration_seconds_count',
      'synthops_git_fetch_errors_total',
    ]) {
      assert.ok(metrics.includes(name), `${name} exported`);
    }
    assert.match(
      metrics,
      new RegExp(`synthops_last_applied_revision_info\\{app="good",env="dev",source="[^"]+",revision="${sha}"\\} 1`),
    );
    assert.match(metrics, /synthops_app_ready\{app="broken",env="dev",source="[^"]+"\} 0/);
    assert.match(metrics, /synthops_reconciles_total\{app="broken",env="dev",source="[^"]+",result="failed"\} 1/);
    const http = await (await fetch(`${agent.url}/metrics`)).text();
    assert.ok(http.includes('synthops_app_ready'));
    assert.equal((await fetch(`${agent.url}/healthz`)).status, 200);
    assert.equal((await fetch(`${agent.url}/readyz`)).status, 200);
    await eventually('failure notified', async () =>
      receiver.received.some((n) => n.kind === 'ReconcileFailed' && n.app === 'broken') ? true : undefined,
    );
    // Logs: one JSON line per step, with app, revision and duration; no secrets.
    assert.ok(
      agent.logs.some(
        (l) => l.step === 'app' && l.app === 'good' && l.revision === sha && typeof l.durationMs === 'number',
      ),
    );

    // `synthops status`: the table, and why one app is not converged, in one place.
    const cli = (...args: string[]) =>
      spawnSync(
        process.execPath,
        [
          path.join(REPO_ROOT, 'bin', 'synthops'),
          'status',
          '--kubeconfig',
          kubeconfig,
          '--agent-namespace',
          ns,
          ...args,
        ],
        { encoding: 'utf8' },
      );
    const kubeconfig = await testKubeconfig();
    const table = cli();
    assert.equal(table.status, 1, 'not every app is ready');
    assert.match(table.stdout, /^APP\s+ENV\s+REVISION\s+READY\s+MESSAGE\s+LAST SYNC\s+COMMIT-TO-CONVERGED$/m);
    assert.match(table.stdout, new RegExp(`^good\\s+dev\\s+${sha.slice(0, 12)}\\s+True\\s+applied revision`, 'm'));
    assert.match(table.stdout, /^broken\s+dev\s+-\s+False\s+Nope /m);
    const why = cli('broken');
    assert.equal(why.status, 1);
    assert.match(why.stdout, /^app broken \(env dev\)$/m);
    assert.match(why.stdout, /ready: False \(ReconcileFailed\)/);
    assert.match(why.stdout, /errors:\n\s+Nope .*the API has no kind Nope/);
    assert.match(why.stdout, /events:\n.*Warning ReconcileFailed/);
    assert.equal(cli('good').status, 0);
    assert.equal(cli('missing').status, 2);
  });

  test('an HPA scaling a Deployment is not fought by drift repair', async (t) => {
    const ns = await testNamespace(t);
    const remote = TestRemote.create(t);
    const hpa: Manifest = {
      apiVersion: 'autoscaling/v2',
      kind: 'HorizontalPodAutoscaler',
      metadata: { name: 'web', namespace: ns },
      spec: {
        scaleTargetRef: { apiVersion: 'apps/v1', kind: 'Deployment', name: 'web' },
        minReplicas: 1,
        maxReplicas: 10,
        metrics: [
          { type: 'Resource', resource: { name: 'cpu', target: { type: 'Utilization', averageUtilization: 70 } } },
        ],
      },
    };
    remote.publish('deploy', synthopsTree('dev', { web: [deployment('web', ns, 2), hpa] }));
    const agent = await startController(t, { repo: remote.fileUrl, branch: 'deploy', ns });
    await eventually('converged and watching', async () =>
      (await metricValue(agent.metrics, 'synthops_app_ready', { app: 'web' })) === 1 && agent.controller.cycles >= 1
        ? true
        : undefined,
    );
    const apps = (await testKubeConfig()).makeApiClient(k8s.AppsV1Api);
    await apps.patchNamespacedDeploymentScale(
      { name: 'web', namespace: ns, body: { spec: { replicas: 4 } } },
      k8s.setHeaderOptions('Content-Type', k8s.PatchStrategy.MergePatch),
    );
    // Then a real drift of the same object: its watch event comes after the scale's, so once
    // it is repaired the scale was judged too.
    await apps.patchNamespacedDeployment(
      {
        name: 'web',
        namespace: ns,
        body: {
          spec: { template: { spec: { containers: [{ name: 'web', image: 'docker.io/library/nginx:1.27' }] } } },
        },
      },
      k8s.setHeaderOptions('Content-Type', k8s.PatchStrategy.StrategicMergePatch),
    );
    await eventually(
      'the edited image restored',
      async () =>
        (await metricValue(agent.metrics, 'synthops_drift_repairs_total', { app: 'web' })) === 1 ? true : undefined,
      10_000,
    );
    const d = await apps.readNamespacedDeployment({ name: 'web', namespace: ns });
    assert.equal(d.spec?.template.spec?.containers[0].image, 'docker.io/kostiscodefresh/simple-web-app:3d9b390');
    assert.equal(d.spec?.replicas, 4, "the autoscaler's replicas stay");
    assert.equal(
      agent.logs.filter((l) => l.msg === 'drift detected' && l.app === 'web').length,
      1,
      'the scale is no drift: synthops does not own spec.replicas here',
    );
  });

  test('a suspended app is not written, but its drift is reported', async (t) => {
    const ns = await testNamespace(t);
    const remote = TestRemote.create(t);
    remote.publish('deploy', synthopsTree('dev', { shop: [configMap('a', ns)] }));
    await startController(t, { repo: remote.fileUrl, branch: 'deploy', ns, suspend: ['shop'] });
    const store = new StatusStore(await testClient(t), ns);
    const sync = await eventually('suspended status', async () => {
      const s = await store.get('dev', 'shop');
      return s?.status?.conditions ? s : undefined;
    });
    const ready = sync.status!.conditions!.find((c) => c.type === 'Ready')!;
    assert.deepEqual([ready.status, ready.reason], ['Unknown', 'Suspended']);
    assert.deepEqual(sync.status!.drift, [`ConfigMap ${ns}/a`]);
    assert.equal(await (await testObjects(t)).get(refOf(configMap('a', ns))), undefined, 'nothing written');
  });
});
