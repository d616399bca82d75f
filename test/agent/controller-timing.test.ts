/** The long-running agent's timing: health never blocks a new revision, own writes are not drift, resume and Allow-Prune act at once. */
import * as k8s from '@kubernetes/client-node';
import * as assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { StatusStore } from '../../src/agent/state/status-store';
import { refOf } from '../../src/model/manifest';
import { configMap, deployment, synthopsTree, testClient, testObjects } from '../harness/agent';
import { eventually, testKubeConfig, testNamespace } from '../harness/cluster';
import { TestController, metricValue, startController } from '../harness/controller';
import { TestRemote } from '../harness/git';
import { seedWithLoadBalancer } from '../harness/seed';

/** Log lines from `from` on with this message. */
function logged(agent: TestController, msg: string, from = 0): Array<Record<string, unknown>> {
  return agent.logs.slice(from).filter((l) => l.msg === msg);
}

async function sleep(ms: number): Promise<void> {
  await new Promise((r) => setTimeout(r, ms));
}

describe('agent: the long-running controller never waits behind health', () => {
  test('the seed: an image bump is applied at the next poll while the LoadBalancer Service is still awaited; health is followed afterwards', async (t) => {
    const ns = await testNamespace(t);
    const remote = TestRemote.create(t);
    const first = remote.publish('main', seedWithLoadBalancer());
    // Health would be awaited for 10 minutes at full rate: far longer than this test may take.
    const agent = await startController(t, {
      repo: remote.fileUrl,
      branch: 'main',
      ns,
      app: 'seed',
      intervalMs: 2000,
      waitTimeoutMs: 600_000,
      healthLogEveryMs: 500,
    });
    const store = new StatusStore(await testClient(t), ns);
    const kc = await testKubeConfig();
    const apps = kc.makeApiClient(k8s.AppsV1Api);
    const core = kc.makeApiClient(k8s.CoreV1Api);
    const ready = async () => (await store.get('default', 'seed'))?.status?.conditions?.find((c) => c.type === 'Ready');

    const progressing = await eventually('Progressing on the load balancer', async () =>
      (await ready())?.message.includes('load balancer') ? (await ready())! : undefined,
    );
    assert.deepEqual([progressing.status, progressing.reason], ['False', 'Progressing']);
    assert.match(
      progressing.message,
      new RegExp(`^Progressing: Service ${ns}/simple-service: waiting for a load balancer address`),
    );
    // What the agent waits for, and why, is in the log while it waits.
    const waitingFor = [
      `Service ${ns}/simple-service: Progressing (waiting for a load balancer address (none may exist in this cluster))`,
    ];
    await eventually(
      'the wait logged again while it lasts',
      async () => (logged(agent, 'still waiting for health').some((l) => l.app === 'seed') ? true : undefined),
      10_000,
    );
    assert.deepEqual(logged(agent, 'still waiting for health').find((l) => l.app === 'seed')!.waitingFor, waitingFor);

    const bumped = remote.publish('main', seedWithLoadBalancer('4e5f6a7'), 'bump image to 4e5f6a7');
    const from = agent.logs.length;
    const t0 = Date.now();
    await eventually(
      'the image bump applied',
      async () => {
        const d = await apps.readNamespacedDeployment({ name: 'simple-deployment', namespace: ns });
        return d.spec?.template.spec?.containers[0].image === 'docker.io/kostiscodefresh/simple-web-app:4e5f6a7'
          ? true
          : undefined;
      },
      30_000,
    );
    process.stdout.write(
      `# image bump applied ${Date.now() - t0} ms after the push (poll interval 2 s), the load balancer still awaited\n`,
    );
    const applying = logged(agent, 'reconcile started', from).find((l) => l.revision === bumped)!;
    assert.deepEqual(applying.reasons, ['interval'], 'applied by the poll, not after a health wait ended');
    const svc = await core.readNamespacedService({ name: 'simple-service', namespace: ns });
    assert.equal(
      svc.status?.loadBalancer?.ingress,
      undefined,
      'the Service still has no address: nothing waited for it',
    );
    assert.notEqual(first, bumped);

    // The reconcile of the bump ended without the address (under load it may still be
    // looking when the image is already applied): what follows is the health monitor's.
    const finished = await eventually(
      'the reconcile of the bump finished',
      async () => logged(agent, 'reconcile finished', from).find((l) => l.revision === bumped),
      30_000,
    );
    assert.equal(finished.converged, false, 'it ended with the load balancer still awaited');
    // Health is still followed: once an address is there (as a cloud's controller sets it), the AppSync turns Ready.
    await core.patchNamespacedServiceStatus(
      {
        name: 'simple-service',
        namespace: ns,
        body: { status: { loadBalancer: { ingress: [{ ip: '192.0.2.10' }] } } },
      },
      k8s.setHeaderOptions('Content-Type', k8s.PatchStrategy.MergePatch),
    );
    const sync = await eventually(
      'Ready at the bumped revision',
      async () => {
        const s = await store.get('default', 'seed');
        return s?.status?.conditions?.find((c) => c.type === 'Ready')?.status === 'True' &&
          s.status.lastAppliedRevision === bumped
          ? s
          : undefined;
      },
      20_000,
    );
    assert.deepEqual(sync.status!.unhealthy, []);
    assert.deepEqual(
      sync.status!.conditions!.map((c) => `${c.type}=${c.status}`),
      ['Ready=True', 'Reconciling=False', 'Stalled=False'],
    );
    assert.equal(await metricValue(agent.metrics, 'synthops_app_ready', { app: 'seed' }), 1);
    assert.ok(logged(agent, 'healthy').some((l) => l.app === 'seed'));
  });

  test('the agent\'s own writes and prunes are not drift: no "drift detected", no extra reconcile', async (t) => {
    const ns = await testNamespace(t);
    const remote = TestRemote.create(t);
    remote.publish(
      'deploy',
      synthopsTree('dev', { shop: [configMap('a', ns), configMap('b', ns), deployment('web', ns)] }),
    );
    const agent = await startController(t, { repo: remote.fileUrl, branch: 'deploy', ns });
    await eventually('converged and healthy', async () =>
      (await metricValue(agent.metrics, 'synthops_app_ready', { app: 'shop' })) === 1 && agent.controller.cycles >= 1
        ? true
        : undefined,
    );
    const cycles = agent.controller.cycles;
    const reconciles =
      (await metricValue(agent.metrics, 'synthops_reconciles_total', { app: 'shop', result: 'applied' })) ?? 0;
    const from = agent.logs.length;

    // A new image and replica count (the Deployment controller then writes too), a changed ConfigMap, and b pruned.
    const web = deployment('web', ns, 2);
    const spec = web.spec as { template: { spec: { containers: Array<{ image: string }> } } };
    spec.template.spec.containers[0].image = 'docker.io/kostiscodefresh/simple-web-app:4e5f6a7';
    const second = remote.publish('deploy', synthopsTree('dev', { shop: [configMap('a', ns, { k: 'changed' }), web] }));
    agent.controller.request('webhook', true);
    const objects = await testObjects(t);
    await eventually(
      'b pruned',
      async () => ((await objects.get(refOf(configMap('b', ns)))) === undefined ? true : undefined),
      20_000,
    );
    const store = new StatusStore(await testClient(t), ns);
    await eventually(
      'healthy at the new revision',
      async () => {
        const s = await store.get('dev', 'shop');
        return s?.status?.lastAppliedRevision === second &&
          s.status.conditions?.find((c) => c.type === 'Ready')?.status === 'True'
          ? true
          : undefined;
      },
      30_000,
    );
    await sleep(2000); // room for the watch events of those writes, and for a reconcile they would trigger

    assert.deepEqual(logged(agent, 'drift detected', from), [], 'nothing the agent did is drift');
    assert.equal(logged(agent, 'reconcile started', from).length, 1);
    assert.equal(agent.controller.cycles, cycles + 1, 'exactly one reconcile');
    assert.equal(
      await metricValue(agent.metrics, 'synthops_reconciles_total', { app: 'shop', result: 'applied' }),
      reconciles + 1,
    );
    const app = logged(agent, 'app reconciled', from)[0];
    assert.deepEqual([app.configured, app.pruned], [2, 1], 'that reconcile wrote and pruned');
    const history = (await store.get('dev', 'shop'))!.status!.history!;
    assert.equal(history[history.length - 1].revision, second);
    assert.ok(history[history.length - 1].durationSeconds > 0, 'the entry of the reconcile that wrote stays');
  });

  test('lifting a suspend (annotation or spec.suspend) reconciles the app at once; suspended reconciles record no Applied Event', async (t) => {
    const ns = await testNamespace(t);
    const remote = TestRemote.create(t);
    remote.publish('deploy', synthopsTree('dev', { shop: [configMap('a', ns)] }));
    // No poll during the test: only the AppSync watch can start the reconciles checked here.
    const agent = await startController(t, { repo: remote.fileUrl, branch: 'deploy', ns });
    const store = new StatusStore(await testClient(t), ns);
    const objects = await testObjects(t);
    await eventually('applied', () => objects.get(refOf(configMap('a', ns))));
    await eventually('idle', async () => (agent.controller.cycles >= 1 ? true : undefined));
    const sync = (await store.list()).find((s) => s.spec.app === 'shop')!;
    const custom = (await testKubeConfig()).makeApiClient(k8s.CustomObjectsApi);
    const patch = (body: object) =>
      custom.patchNamespacedCustomObject(
        {
          group: 'synthops.dev',
          version: 'v1alpha1',
          namespace: ns,
          plural: 'appsyncs',
          name: sync.metadata.name,
          body,
        },
        k8s.setHeaderOptions('Content-Type', k8s.PatchStrategy.MergePatch),
      );
    const appliedEvents = async () =>
      (await store.events((await store.get('dev', 'shop'))!)).filter((e) => e.reason === 'Applied').length;
    const valueOfA = async () =>
      ((await objects.get(refOf(configMap('a', ns))))?.data as Record<string, string> | undefined)?.k;
    const readyReason = async () =>
      (await store.get('dev', 'shop'))?.status?.conditions?.find((c) => c.type === 'Ready')?.reason;

    for (const [how, suspend, lift] of [
      [
        'annotation',
        { metadata: { annotations: { 'synthops.dev/suspend': 'true' } } },
        { metadata: { annotations: { 'synthops.dev/suspend': null } } },
      ],
      ['spec.suspend', { spec: { suspend: true } }, { spec: { suspend: false } }],
    ] as const) {
      await patch(suspend);
      const value = `v-${how}`;
      remote.publish('deploy', synthopsTree('dev', { shop: [configMap('a', ns, { k: value })] }));
      const events = await appliedEvents();
      agent.controller.request('webhook', true);
      await eventually(
        `suspended by ${how}`,
        async () => ((await readyReason()) === 'Suspended' ? true : undefined),
        20_000,
      );
      assert.notEqual(await valueOfA(), value, 'nothing written while suspended');
      assert.equal(await appliedEvents(), events, 'a suspended reconcile records no Applied Event');

      const count = async (result: string) =>
        (await metricValue(agent.metrics, 'synthops_reconciles_total', { app: 'shop', result })) ?? 0;
      const [applied, suspendedRuns] = [await count('applied'), await count('suspended')];
      const fromLift = agent.logs.length;
      await patch(lift);
      await eventually(
        `applied once the ${how} is lifted`,
        async () => ((await valueOfA()) === value ? true : undefined),
        20_000,
      );
      await eventually('Ready', async () => ((await readyReason()) === 'ReconciliationSucceeded' ? true : undefined));
      assert.deepEqual(
        [await count('applied'), await count('suspended')],
        [applied + 1, suspendedRuns],
        'one reconcile, which applied',
      );
      assert.deepEqual(
        logged(agent, 'reconcile started', fromLift).map((l) => l.reasons),
        [['resume']],
        'started by the lift',
      );
      assert.equal(await appliedEvents(), events + 1, 'the resumed reconcile records its Applied Event');
    }
    assert.equal(logged(agent, 'suspend lifted; reconciling').length, 2);
  });

  test('a new commit whose Allow-Prune trailer allows a held prune is acted on at once', async (t) => {
    const ns = await testNamespace(t);
    const remote = TestRemote.create(t);
    const names = ['a', 'b', 'c', 'd'];
    remote.publish(
      'deploy',
      synthopsTree('dev', { shop: names.map((n) => configMap(n, ns)), other: [configMap('o', ns)] }),
    );
    const agent = await startController(t, { repo: remote.fileUrl, branch: 'deploy', ns });
    const objects = await testObjects(t);
    const store = new StatusStore(await testClient(t), ns);
    const reason = async () =>
      (await store.get('dev', 'shop'))?.status?.conditions?.find((c) => c.type === 'Ready')?.reason;
    await eventually('applied', async () => ((await reason()) === 'ReconciliationSucceeded' ? true : undefined));

    const shrunk = synthopsTree('dev', { shop: [configMap('a', ns)], other: [configMap('o', ns)] });
    remote.publish('deploy', shrunk);
    agent.controller.request('webhook', true);
    await eventually(
      'the mass removal held',
      async () => ((await reason()) === 'PruneHeld' ? true : undefined),
      20_000,
    );
    for (const n of ['b', 'c', 'd']) assert.ok(await objects.get(refOf(configMap(n, ns))), `${n} kept`);

    // The same objects, in a commit that allows the prune (what `publish --allow-prune shop` writes).
    const allowing = remote.publish('deploy', shrunk, 'allow the shrink\n\nAllow-Prune: shop');
    const from = agent.logs.length;
    agent.controller.request('webhook', true);
    await eventually(
      'pruned at once',
      async () => {
        for (const n of ['b', 'c', 'd']) if (await objects.get(refOf(configMap(n, ns)))) return undefined;
        return true;
      },
      20_000,
    );
    await eventually('Ready', async () => ((await reason()) === 'ReconciliationSucceeded' ? true : undefined));
    const started = logged(agent, 'reconcile started', from).filter((l) => l.revision === allowing);
    assert.deepEqual(
      started.map((l) => l.apps),
      [['shop']],
      'only the app the trailer names',
    );
    assert.ok(await objects.get(refOf(configMap('a', ns))));
  });

  test('stop() during a reconcile returns as soon as that reconcile has stopped, and leaves no timer behind (a stopped process exits at once)', async (t) => {
    const ns = await testNamespace(t);
    const remote = TestRemote.create(t);
    remote.publish('deploy', synthopsTree('dev', { shop: [configMap('a', ns)] }));
    const agent = await startController(t, { repo: remote.fileUrl, branch: 'deploy', ns });
    await eventually('idle', async () => (agent.controller.cycles >= 1 ? true : undefined));
    const timers = () => process.getActiveResourcesInfo().filter((r) => r === 'Timeout').length;
    const before = timers();
    remote.publish('deploy', synthopsTree('dev', { shop: [configMap('a', ns, { k: 'new' })] }));
    agent.controller.request('webhook', true);
    const t0 = Date.now();
    await agent.controller.stop(20_000);
    process.stdout.write(`# stop() during a reconcile: ${Date.now() - t0} ms\n`);
    assert.equal(agent.controller.cycles, 2, 'the reconcile ended');
    assert.ok(timers() <= before, `timers left behind: ${timers()} > ${before}`);
  });
});
