/** The agent as a process: leader election with failover (the standby ready, writing nothing), and a prompt, clean exit on SIGTERM. */
import * as k8s from '@kubernetes/client-node';
import * as assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { refOf } from '../../src/model/manifest';
import { STATUS_CRD, StatusStore } from '../../src/agent/state/status-store';
import { configMap, synthopsTree, testClient, testObjects } from '../harness/agent';
import { eventually, testKubeConfig, testNamespace } from '../harness/cluster';
import { AgentProcess, spawnAgent } from '../harness/agent-process';
import { TestRemote } from '../harness/git';
import { seedWithLoadBalancer } from '../harness/seed';

async function readyz(p: AgentProcess): Promise<{ status: number; text: string } | undefined> {
  const port = p.logs.find((l) => l.msg === 'agent started')?.port;
  if (!port) return undefined;
  const r = await fetch(`http://127.0.0.1:${String(port)}/readyz`);
  return { status: r.status, text: await r.text() };
}

/** What the agent CRD's labels were before a test made it part of an app: give it back to nobody. */
async function releaseCrd(): Promise<void> {
  const ext = (await testKubeConfig()).makeApiClient(k8s.ApiextensionsV1Api);
  await ext
    .patchCustomResourceDefinition(
      {
        name: STATUS_CRD.metadata.name,
        body: {
          metadata: {
            labels: { 'synthops.dev/app': null, 'synthops.dev/env': null },
            annotations: { 'synthops.dev/applied-digest': null },
          },
        },
      },
      k8s.setHeaderOptions('Content-Type', k8s.PatchStrategy.MergePatch),
    )
    .catch(() => undefined);
}

/** One object an agent may write: its resourceVersion, and the agent's own managedFields entries (`manager operation subresource time`). */
interface Written {
  readonly resourceVersion: string;
  readonly ours: readonly string[];
}

type Meta = {
  resourceVersion?: string;
  managedFields?: Array<{ manager?: string; operation?: string; subresource?: string; time?: Date | string }>;
};

/**
 * Everything an agent in `ns` may write, by object: the AppSync CRD, the namespace,
 * AppSyncs, inventories and every other ConfigMap, Deployments, Services and Events.
 */
async function writable(ns: string): Promise<Record<string, Written>> {
  const kc = await testKubeConfig();
  const out: Record<string, Written> = {};
  const add = (what: string, m: Meta | undefined) => {
    if (!m) return;
    const ours = (m.managedFields ?? [])
      .filter((f) => f.manager?.startsWith('synthops'))
      .map((f) => `${f.manager} ${f.operation} ${f.subresource ?? '-'} ${new Date(f.time as string).toISOString()}`);
    out[what] = { resourceVersion: String(m.resourceVersion), ours };
  };
  const crd = await kc
    .makeApiClient(k8s.ApiextensionsV1Api)
    .readCustomResourceDefinition({ name: STATUS_CRD.metadata.name })
    .catch(() => undefined);
  add(`CustomResourceDefinition ${STATUS_CRD.metadata.name}`, crd?.metadata);
  const core = kc.makeApiClient(k8s.CoreV1Api);
  add(`Namespace ${ns}`, (await core.readNamespace({ name: ns })).metadata);
  for (const cm of (await core.listNamespacedConfigMap({ namespace: ns })).items)
    add(`ConfigMap ${cm.metadata!.name}`, cm.metadata);
  for (const svc of (await core.listNamespacedService({ namespace: ns })).items)
    add(`Service ${svc.metadata!.name}`, svc.metadata);
  for (const e of (await core.listNamespacedEvent({ namespace: ns })).items) {
    if (e.source?.component !== 'synthops-agent') continue;
    add(`Event ${e.metadata!.name}`, {
      resourceVersion: e.metadata!.resourceVersion,
      managedFields: [
        { manager: 'synthops-agent', operation: 'Create', time: e.lastTimestamp ?? e.metadata!.creationTimestamp },
      ],
    });
  }
  for (const d of (await kc.makeApiClient(k8s.AppsV1Api).listNamespacedDeployment({ namespace: ns })).items)
    add(`Deployment ${d.metadata!.name}`, d.metadata);
  const syncs = (await kc
    .makeApiClient(k8s.CustomObjectsApi)
    .listNamespacedCustomObject({ group: 'synthops.dev', version: 'v1alpha1', namespace: ns, plural: 'appsyncs' })) as {
    items: Array<{ metadata: { name: string; resourceVersion: string; managedFields?: Array<{ time?: string }> } }>;
  };
  for (const s of syncs.items) add(`AppSync ${s.metadata.name}`, s.metadata);
  return out;
}

async function leaseHolder(ns: string): Promise<string | undefined> {
  const kc = await testKubeConfig();
  const lease = await kc
    .makeApiClient(k8s.CoordinationV1Api)
    .readNamespacedLease({ name: 'synthops-agent', namespace: ns })
    .catch(() => undefined);
  return lease?.spec?.holderIdentity || undefined;
}

describe('agent: processes', () => {
  test('two replicas: both ready; the standby writes nothing until it holds the lease, and takes over when the leader is killed', async (t) => {
    const ns = await testNamespace(t);
    const remote = TestRemote.create(t);
    // The agent's own app carries the AppSync CRD (as AgentInstall does): a standby that
    // installed its copy at start would change it, and the leader would "repair" that.
    remote.publish('deploy', synthopsTree('dev', { agent: [STATUS_CRD], shop: [configMap('a', ns)] }));
    t.after(() => releaseCrd());
    // No poll during the test: the leader is idle once it has applied, so any write seen is the standby's.
    const common = [
      '--repo',
      remote.fileUrl,
      '--branch',
      'deploy',
      '--namespace',
      ns,
      '--agent-namespace',
      ns,
      '--leader-elect',
      '--lease-duration',
      '3s',
      '--interval',
      '1h',
    ];
    const a = await spawnAgent(t, [...common, '--identity', 'agent-a']);
    assert.equal(await eventually('a leader', () => leaseHolder(ns), 30_000), 'agent-a');
    const store = new StatusStore(await testClient(t), ns);
    await eventually(
      'the leader applied and recorded',
      async () =>
        (await store.list()).length === 2 && a.logs.some((l) => l.msg === 'reconcile finished') ? true : undefined,
      30_000,
    );
    await new Promise((r) => setTimeout(r, 1000));
    const before = await writable(ns);

    const b = await spawnAgent(t, [...common, '--identity', 'agent-b']);
    await eventually(
      'the standby started',
      async () => (b.logs.some((l) => l.msg === 'agent started') ? true : undefined),
      30_000,
    );
    // Several campaign rounds (every second with a 3 s lease) while the leader holds the lease.
    await new Promise((r) => setTimeout(r, 4000));
    assert.equal(await leaseHolder(ns), 'agent-a');
    assert.deepEqual(
      await writable(ns),
      before,
      'the standby wrote nothing: CRD, namespace, AppSyncs, inventories, Events, objects',
    );
    const ready = await eventually(
      'the standby is ready',
      async () => {
        const r = await readyz(b);
        return r?.status === 200 ? r : undefined;
      },
      10_000,
    );
    assert.match(ready.text, /^ok: standby: the lease is held by agent-a/);
    assert.equal((await readyz(a))?.status, 200, 'the leader is ready too');

    a.child.kill('SIGKILL');
    const killedAt = Date.now();
    remote.publish(
      'deploy',
      synthopsTree('dev', { agent: [STATUS_CRD], shop: [configMap('a', ns), configMap('after-failover', ns)] }),
    );
    const objects = await testObjects(t);
    const applied = await eventually(
      'standby took over and applied',
      () => objects.get(refOf(configMap('after-failover', ns))),
      30_000,
    );
    process.stdout.write(
      `# failover: new leader applied ${Date.now() - killedAt} ms after the leader was killed (lease 3 s)\n`,
    );
    assert.equal(await leaseHolder(ns), 'agent-b');
    assert.ok(b.logs.some((l) => l.msg === 'became leader'));
    // Its first write is after it holds the lease.
    const lease = await (await testKubeConfig())
      .makeApiClient(k8s.CoordinationV1Api)
      .readNamespacedLease({ name: 'synthops-agent', namespace: ns });
    const acquired = Math.floor(new Date(lease.spec!.acquireTime as unknown as string).getTime() / 1000) * 1000;
    for (const f of (applied.metadata.managedFields ?? []) as Array<{ time?: string }>)
      assert.ok(Date.parse(f.time!) >= acquired, 'written once it held the lease');
  });

  test('SIGTERM: the agent finishes cleanly, releases its lease and exits 0', async (t) => {
    const ns = await testNamespace(t);
    const remote = TestRemote.create(t);
    remote.publish('deploy', synthopsTree('dev', { shop: [configMap('a', ns)] }));
    const agent = await spawnAgent(t, [
      '--repo',
      remote.fileUrl,
      '--branch',
      'deploy',
      '--namespace',
      ns,
      '--agent-namespace',
      ns,
      '--leader-elect',
      '--lease-duration',
      '15s',
      '--identity',
      'solo',
    ]);
    await eventually(
      'reconciled',
      async () => (agent.logs.some((l) => l.msg === 'reconcile finished') ? true : undefined),
      30_000,
    );
    assert.equal(await leaseHolder(ns), 'solo');
    const t0 = Date.now();
    agent.child.kill('SIGTERM');
    const code = await Promise.race([
      agent.exit,
      new Promise<string>((r) => setTimeout(() => r('still running'), 30_000)),
    ]);
    process.stdout.write(`# SIGTERM to exit (idle): ${Date.now() - t0} ms\n`);
    assert.equal(code, 0, "exited 0 within Kubernetes' default 30 s grace");
    assert.ok(agent.logs.some((l) => l.msg === 'stopped'));
    assert.equal(await leaseHolder(ns), undefined, 'lease released: a standby need not wait for it to expire');
  });

  test('SIGTERM while health is awaited: the agent stops within the grace period and writes nothing after "stopped"', async (t) => {
    const ns = await testNamespace(t);
    const remote = TestRemote.create(t);
    remote.publish('main', seedWithLoadBalancer());
    // Health would be followed for 10 minutes, and a poll every second keeps the agent writing status.
    const agent = await spawnAgent(t, [
      '--repo',
      remote.fileUrl,
      '--branch',
      'main',
      '--app',
      'seed',
      '--namespace',
      ns,
      '--agent-namespace',
      ns,
      '--timeout',
      '10m',
      '--interval',
      '1s',
    ]);
    const objects = await testObjects(t);
    await eventually(
      'applied',
      () => objects.get({ apiVersion: 'v1', kind: 'Service', namespace: ns, name: 'simple-service' }),
      30_000,
    );
    await new Promise((r) => setTimeout(r, 2000));
    const t0 = Date.now();
    agent.child.kill('SIGTERM');
    const code = await Promise.race([
      agent.exit,
      new Promise<string>((r) => setTimeout(() => r('still running'), 30_000)),
    ]);
    process.stdout.write(`# SIGTERM to exit (health awaited): ${Date.now() - t0} ms\n`);
    assert.equal(code, 0, "exited 0 within Kubernetes' default 30 s grace");
    const stopped = agent.logs.find((l) => l.msg === 'stopped');
    assert.ok(stopped, 'said it stopped');
    const shutdown = agent.logs.findIndex((l) => l.msg === 'shutting down');
    assert.ok(
      agent.logs.slice(0, shutdown).some((l) => l.msg === 'waiting for health' && l.app === 'seed'),
      'the SIGTERM came while the load balancer was awaited',
    );
    // managedFields times have whole seconds: a write after "stopped" would show a time after its second.
    const stoppedAt = Math.floor(Date.parse(String(stopped.time)) / 1000) * 1000;
    // Controllers keep updating status (resourceVersions move): only the agent's own entries count here.
    const ours = async () => Object.fromEntries(Object.entries(await writable(ns)).map(([k, w]) => [k, w.ours]));
    const after = await ours();
    await new Promise((r) => setTimeout(r, 2000));
    assert.deepEqual(await ours(), after, 'nothing lands later');
    for (const [what, entries] of Object.entries(after)) {
      for (const e of entries)
        assert.ok(
          Date.parse(e.split(' ').pop()!) <= stoppedAt,
          `${what}: ${e}, after "stopped" at ${String(stopped.time)}`,
        );
    }
    assert.ok(
      Object.keys(after).some((k) => k.startsWith('AppSync ')),
      'the AppSync was among the objects checked',
    );
  });
});
