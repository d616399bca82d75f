/** Living with the cluster: HPAs own replicas, inventories survive restarts, dependencies wait, namespaces come first. */
import * as k8s from '@kubernetes/client-node';
import { spawnSync } from 'child_process';
import * as assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { Manifest, refOf } from '../../src/model/manifest';
import { configMap, deployment, runOnce, synthopsTree, testObjects } from '../harness/agent';
import { deleteNamespaces, testKubeConfig, testKubeconfig, testNamespace } from '../harness/cluster';
import { TestRemote } from '../harness/git';
import { SYNTHOPS_BIN, agentOnceArgs } from '../harness/once-args';

function hpa(name: string, ns: string): Manifest {
  return {
    apiVersion: 'autoscaling/v2',
    kind: 'HorizontalPodAutoscaler',
    metadata: { name, namespace: ns },
    spec: {
      scaleTargetRef: { apiVersion: 'apps/v1', kind: 'Deployment', name },
      minReplicas: 1,
      maxReplicas: 10,
      metrics: [
        { type: 'Resource', resource: { name: 'cpu', target: { type: 'Utilization', averageUtilization: 70 } } },
      ],
    },
  };
}

describe('agent: other controllers and restarts', () => {
  test('with an HPA on a Deployment the agent leaves spec.replicas to the autoscaler', async (t) => {
    const ns = await testNamespace(t);
    const remote = TestRemote.create(t);
    remote.publish('deploy', synthopsTree('dev', { web: [deployment('web', ns, 2), hpa('web', ns)] }));
    assert.equal((await runOnce(t, { repo: remote.fileUrl, branch: 'deploy', ns })).result.converged, true);
    const apps = (await testKubeConfig()).makeApiClient(k8s.AppsV1Api);
    // The autoscaler scales the Deployment (through the scale subresource, as the HPA controller does).
    await apps.patchNamespacedDeploymentScale(
      { name: 'web', namespace: ns, body: { spec: { replicas: 5 } } },
      k8s.setHeaderOptions('Content-Type', k8s.PatchStrategy.MergePatch),
    );
    const r = (await runOnce(t, { repo: remote.fileUrl, branch: 'deploy', ns })).result;
    assert.equal(r.converged, true, JSON.stringify(r.apps));
    assert.deepEqual(r.apps[0].configured, [], 'no fight over replicas');
    const dep = await apps.readNamespacedDeployment({ name: 'web', namespace: ns });
    assert.equal(dep.spec?.replicas, 5);
    const ours = dep.metadata?.managedFields?.find((f) => f.manager === 'synthops');
    assert.equal(JSON.stringify(ours?.fieldsV1).includes('f:replicas'), false, 'synthops does not own spec.replicas');
  });

  test('fields another manager sets are not drift: the next reconcile writes nothing', async (t) => {
    const ns = await testNamespace(t);
    const remote = TestRemote.create(t);
    remote.publish('deploy', synthopsTree('dev', { web: [deployment('web', ns), configMap('cm', ns)] }));
    assert.equal((await runOnce(t, { repo: remote.fileUrl, branch: 'deploy', ns })).result.converged, true);
    const kc = await testKubeConfig();
    // Another controller (or a person) adds an annotation and a label we do not own.
    await kc.makeApiClient(k8s.CoreV1Api).patchNamespacedConfigMap(
      {
        name: 'cm',
        namespace: ns,
        body: { metadata: { annotations: { 'other.example.com/seen': 'yes' }, labels: { team: 'x' } } },
        fieldManager: 'other-controller',
      },
      k8s.setHeaderOptions('Content-Type', k8s.PatchStrategy.MergePatch),
    );
    const r = (await runOnce(t, { repo: remote.fileUrl, branch: 'deploy', ns })).result;
    assert.deepEqual([r.apps[0].configured, r.apps[0].created], [[], []]);
    const cm = await kc.makeApiClient(k8s.CoreV1Api).readNamespacedConfigMap({ name: 'cm', namespace: ns });
    assert.equal(cm.metadata?.annotations?.['other.example.com/seen'], 'yes', 'left alone');
  });

  test('after an agent restart the inventory is still known: a later process prunes what an earlier one applied', async (t) => {
    const ns = await testNamespace(t);
    const remote = TestRemote.create(t);
    const kubeconfig = await testKubeconfig();
    const cli = () =>
      spawnSync(
        process.execPath,
        [SYNTHOPS_BIN, ...agentOnceArgs({ repo: remote.fileUrl, namespace: ns, timeout: '60s', kubeconfig })],
        { encoding: 'utf8' },
      );
    remote.publish(
      'deploy',
      synthopsTree('dev', { shop: [configMap('a', ns), configMap('b', ns), configMap('c', ns)] }),
    );
    assert.equal(cli().status, 0);
    remote.publish('deploy', synthopsTree('dev', { shop: [configMap('a', ns), configMap('b', ns)] }));
    const second = cli();
    assert.equal(second.status, 0, second.stdout + second.stderr);
    assert.match(second.stdout, new RegExp(`pruned \\(1\\):\\n\\s+ConfigMap ${ns}/c`));
    const inv = await (await testKubeConfig())
      .makeApiClient(k8s.CoreV1Api)
      .readNamespacedConfigMap({ name: 'inv.dev.shop', namespace: ns });
    const stored = JSON.parse(inv.data!['inventory.json']);
    assert.deepEqual(
      stored.objects.map((o: { name: string }) => o.name),
      ['a', 'b'],
    );
    // The record names the revision that last changed it (the one that pruned c).
    assert.match(stored.revision, /^[0-9a-f]{40}$/);
  });

  test('an app waits for the apps it depends on: when one fails, its dependants are skipped', async (t) => {
    const ns = await testNamespace(t);
    const remote = TestRemote.create(t);
    const bad = { apiVersion: 'example.synthops.dev/v1', kind: 'Nope', metadata: { name: 'n', namespace: ns } };
    remote.publish(
      'deploy',
      synthopsTree('dev', { db: [bad], web: [configMap('web', ns)], docs: [configMap('docs', ns)] }, { web: ['db'] }),
    );
    const r = (await runOnce(t, { repo: remote.fileUrl, branch: 'deploy', ns })).result;
    const web = r.apps.find((a) => a.app === 'web')!;
    assert.equal(web.status, 'Skipped');
    assert.match(web.errors[0], /^DependencyNotReady: waits for db \(/);
    assert.equal(await (await testObjects(t)).get(refOf(configMap('web', ns))), undefined);
    assert.equal(r.apps.find((a) => a.app === 'docs')!.health, 'Healthy', 'independent apps go on');

    remote.publish(
      'deploy',
      synthopsTree(
        'dev',
        { db: [configMap('db', ns)], web: [configMap('web', ns)], docs: [configMap('docs', ns)] },
        { web: ['db'] },
      ),
    );
    const fixed = (await runOnce(t, { repo: remote.fileUrl, branch: 'deploy', ns })).result;
    assert.equal(fixed.converged, true, JSON.stringify(fixed.apps));
  });

  test('a Namespace created by the revision comes first; the objects in it are validated once it exists', async (t) => {
    const inventoryNs = await testNamespace(t, 'inv');
    const fresh = `${inventoryNs}-app`;
    t.after(() => deleteNamespaces([fresh]));
    const remote = TestRemote.create(t);
    const namespace: Manifest = { apiVersion: 'v1', kind: 'Namespace', metadata: { name: fresh } };
    remote.publish(
      'deploy',
      synthopsTree('dev', { shop: [configMap('cm', fresh), deployment('web', fresh), namespace] }),
    );
    const r = (await runOnce(t, { repo: remote.fileUrl, branch: 'deploy', ns: inventoryNs })).result;
    assert.equal(r.converged, true, JSON.stringify(r.apps));
    assert.deepEqual(r.apps[0].created.sort(), [
      `ConfigMap ${fresh}/cm`,
      `Deployment ${fresh}/web`,
      `Namespace ${fresh}`,
    ]);
  });
});
