/**
 * The guards that keep the agent from taking what is not its own, against the real
 * apiserver: an HPA outside Git owns `spec.replicas`, a prune candidate relabelled
 * between plan and delete is left alone, and a Namespace that leaves Git is held.
 */
import * as k8s from '@kubernetes/client-node';
import * as assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { KubeClient, RequestOptions } from '../../src/kube/client';
import { loadKubeconfig } from '../../src/kube/kubeconfig';
import { APP_LABEL } from '../../src/model/keys';
import { Manifest, refOf } from '../../src/model/manifest';
import { configMap, deployment, runOnce, synthopsTree, testObjects } from '../harness/agent';
import { deleteNamespaces, testKubeConfig, testKubeconfig, testNamespace } from '../harness/cluster';
import { TestRemote } from '../harness/git';

/**
 * A real client that runs `before` once, right before the first GET of `path`
 * (a single object: lists use the collection path). The prune step is the only one
 * that reads an object no longer in Git by itself, so this lands between its plan
 * and its delete.
 */
class BeforeFirstGet extends KubeClient {
  private done = false;

  constructor(
    file: string,
    private readonly path: string,
    private readonly before: () => Promise<void>,
  ) {
    super(loadKubeconfig(file));
  }

  public override async exchange<T = unknown>(
    method: string,
    path: string,
    opts: RequestOptions = {},
  ): Promise<{ status: number; body: T }> {
    if (method === 'GET' && path === this.path && !this.done) {
      this.done = true;
      await this.before();
    }
    return super.exchange<T>(method, path, opts);
  }
}

describe('agent: guards against the real apiserver', () => {
  test("an HPA created outside Git protects spec.replicas: the agent leaves the autoscaler's count alone", async (t) => {
    const ns = await testNamespace(t);
    const remote = TestRemote.create(t);
    remote.publish('deploy', synthopsTree('dev', { web: [deployment('web', ns, 2)] }));
    assert.equal((await runOnce(t, { repo: remote.fileUrl, branch: 'deploy', ns })).result.converged, true);

    // A platform team adds an autoscaler by hand; it is in no app and carries no synthops label.
    const kc = await testKubeConfig();
    await kc.makeApiClient(k8s.AutoscalingV2Api).createNamespacedHorizontalPodAutoscaler({
      namespace: ns,
      body: {
        metadata: { name: 'web' },
        spec: {
          scaleTargetRef: { apiVersion: 'apps/v1', kind: 'Deployment', name: 'web' },
          minReplicas: 1,
          maxReplicas: 10,
          metrics: [
            { type: 'Resource', resource: { name: 'cpu', target: { type: 'Utilization', averageUtilization: 70 } } },
          ],
        },
      },
    });
    const apps = kc.makeApiClient(k8s.AppsV1Api);
    await apps.patchNamespacedDeploymentScale(
      { name: 'web', namespace: ns, body: { spec: { replicas: 5 } } },
      k8s.setHeaderOptions('Content-Type', k8s.PatchStrategy.MergePatch),
    );

    // The first run re-applies the Deployment without replicas (its applied digest
    // changes); the one after has nothing to write.
    for (const run of ['first', 'second']) {
      const r = (await runOnce(t, { repo: remote.fileUrl, branch: 'deploy', ns })).result;
      assert.equal(r.converged, true, JSON.stringify(r.apps));
      if (run === 'second') assert.deepEqual(r.apps[0].configured, [], 'no fight over replicas');
      const dep = await apps.readNamespacedDeployment({ name: 'web', namespace: ns });
      assert.equal(dep.spec?.replicas, 5, `${run} run: the autoscaler's count stays`);
      const ours = dep.metadata?.managedFields?.find((f) => f.manager === 'synthops');
      assert.equal(
        JSON.stringify(ours?.fieldsV1).includes('f:replicas'),
        false,
        `${run} run: synthops does not own spec.replicas`,
      );
    }
  });

  test('an object relabelled for another app between the prune plan and its delete is kept', async (t) => {
    const ns = await testNamespace(t);
    const remote = TestRemote.create(t);
    const gone = configMap('gone', ns);
    remote.publish(
      'deploy',
      synthopsTree('dev', { shop: [configMap('a', ns), configMap('b', ns), configMap('c', ns), gone] }),
    );
    assert.equal((await runOnce(t, { repo: remote.fileUrl, branch: 'deploy', ns })).result.converged, true);

    remote.publish(
      'deploy',
      synthopsTree('dev', { shop: [configMap('a', ns), configMap('b', ns), configMap('c', ns)] }),
    );
    const core = (await testKubeConfig()).makeApiClient(k8s.CoreV1Api);
    // Someone hands the object to another app after the agent planned its prune.
    const client = new BeforeFirstGet(await testKubeconfig(), `/api/v1/namespaces/${ns}/configmaps/gone`, async () => {
      await core.patchNamespacedConfigMap(
        { name: 'gone', namespace: ns, body: { metadata: { labels: { [APP_LABEL]: 'billing' } } } },
        k8s.setHeaderOptions('Content-Type', k8s.PatchStrategy.MergePatch),
      );
    });
    t.after(() => client.close());
    const shop = (await runOnce(t, { repo: remote.fileUrl, branch: 'deploy', ns, client })).result.apps[0];
    assert.deepEqual(shop.pruned, []);
    assert.deepEqual(shop.kept, [`ConfigMap ${ns}/gone: now labelled for app "billing"`]);
    const live = await (await testObjects(t)).get(refOf(gone));
    assert.equal(live?.metadata.labels?.[APP_LABEL], 'billing', 'the object survives, with its new owner');
  });

  test('a Namespace removed from Git (not annotated prune: disabled) is held, run after run', async (t) => {
    const ns = await testNamespace(t);
    const team = `${ns}-team`;
    t.after(() => deleteNamespaces([team]));
    const remote = TestRemote.create(t);
    const namespace: Manifest = { apiVersion: 'v1', kind: 'Namespace', metadata: { name: team } };
    const rest = [configMap('a', ns), configMap('b', ns), configMap('c', ns)];
    remote.publish('deploy', synthopsTree('dev', { shop: [namespace, ...rest] }));
    assert.equal((await runOnce(t, { repo: remote.fileUrl, branch: 'deploy', ns })).result.converged, true);

    // One of four objects leaves: no mass-removal guard applies, only the Namespace one.
    remote.publish('deploy', synthopsTree('dev', { shop: rest }));
    const core = (await testKubeConfig()).makeApiClient(k8s.CoreV1Api);
    for (const run of ['first', 'second']) {
      const r = (await runOnce(t, { repo: remote.fileUrl, branch: 'deploy', ns })).result;
      const shop = r.apps[0];
      assert.equal(r.converged, false, `${run} run: a held prune is not converged`);
      assert.deepEqual(shop.pruned, [], `${run} run`);
      assert.equal(shop.held.length, 1, `${run} run: ${JSON.stringify(shop.held)}`);
      assert.match(shop.held[0], new RegExp(`^Namespace ${team}: pruning Namespace ${team} deletes everything in it`));
      const live = await core.readNamespace({ name: team });
      assert.equal(live.status?.phase, 'Active', `${run} run: the Namespace is untouched`);
    }
  });
});
