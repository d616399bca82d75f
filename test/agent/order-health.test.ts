/**
 * Apply order and health, seen from the real apiserver: a workload is created after
 * the ServiceAccount and ConfigMap it uses that arrive in the same revision, and a
 * Deployment whose Pods never become available is not Healthy.
 */
import * as k8s from '@kubernetes/client-node';
import * as assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import type { TestContext } from 'node:test';
import { KubeClient, RequestOptions } from '../../src/kube/client';
import { loadKubeconfig } from '../../src/kube/kubeconfig';
import { Manifest } from '../../src/model/manifest';
import { configMap, deployment, runOnce, synthopsTree, testClient } from '../harness/agent';
import { eventually, testKubeConfig, testKubeconfig, testNamespace } from '../harness/cluster';
import { TestRemote } from '../harness/git';

/**
 * Records the resourceVersion each object had when it was created, by watching the
 * given collections from now on. One etcd assigns resourceVersions in commit order,
 * so across kinds they tell which object was created first.
 */
async function watchCreations(
  t: TestContext,
  client: KubeClient,
  collections: readonly string[],
): Promise<Map<string, bigint>> {
  const created = new Map<string, bigint>();
  for (const path of collections) {
    const list = await client.request<{ metadata: { resourceVersion: string } }>('GET', path);
    const w = client.watch(path, { resourceVersion: list.metadata.resourceVersion }, (e) => {
      const meta = e.object.metadata as { name?: string; resourceVersion?: string } | undefined;
      if (e.type === 'ADDED' && meta?.name && meta.resourceVersion)
        created.set(`${path.split('/').pop()}/${meta.name}`, BigInt(meta.resourceVersion));
    });
    w.done.catch(() => undefined); // a broken watch shows as a missing creation below
    t.after(() => w.abort());
  }
  return created;
}

/**
 * A real client whose real (not dry-run) writes to the given collections are sent a
 * second late: whatever is written without waiting for them is seen created first.
 */
class LateWrites extends KubeClient {
  constructor(
    file: string,
    private readonly collections: readonly string[],
  ) {
    super(loadKubeconfig(file));
  }

  public override async exchange<T = unknown>(
    method: string,
    path: string,
    opts: RequestOptions = {},
  ): Promise<{ status: number; body: T }> {
    if (method === 'PATCH' && !opts.query?.dryRun && this.collections.some((c) => path.startsWith(`${c}/`)))
      await new Promise((r) => setTimeout(r, 1000));
    return super.exchange<T>(method, path, opts);
  }
}

describe('agent: apply order and health against the real apiserver', () => {
  test('a Deployment whose ServiceAccount and ConfigMap arrive in the same revision is created after both', async (t) => {
    const ns = await testNamespace(t);
    const remote = TestRemote.create(t);
    // Names sort the workload first and its prerequisites last: only kind order puts them before it.
    const web = deployment('a-web', ns);
    const pod = (web.spec as { template: { spec: Record<string, unknown> } }).template.spec;
    pod.serviceAccountName = 'z-runner';
    (pod.containers as Array<Record<string, unknown>>)[0].envFrom = [{ configMapRef: { name: 'z-settings' } }];
    const sa: Manifest = { apiVersion: 'v1', kind: 'ServiceAccount', metadata: { name: 'z-runner', namespace: ns } };
    remote.publish('deploy', synthopsTree('dev', { shop: [web, sa, configMap('z-settings', ns)] }));

    const prerequisites = [`/api/v1/namespaces/${ns}/serviceaccounts`, `/api/v1/namespaces/${ns}/configmaps`];
    const created = await watchCreations(t, await testClient(t), [
      ...prerequisites,
      `/apis/apps/v1/namespaces/${ns}/deployments`,
    ]);
    // Prerequisites written late: only an apply that waits for them creates them first.
    const late = new LateWrites(await testKubeconfig(), prerequisites);
    t.after(() => late.close());
    const r = (await runOnce(t, { repo: remote.fileUrl, branch: 'deploy', ns, client: late })).result;
    assert.equal(r.converged, true, JSON.stringify(r.apps));
    // The watch events may trail the run's end by a moment.
    const at = (key: string) => eventually(`${key} created (seen by the watch)`, async () => created.get(key), 10_000);
    const deploymentRv = await at('deployments/a-web');
    assert.ok((await at('serviceaccounts/z-runner')) < deploymentRv, 'the ServiceAccount exists before the Deployment');
    assert.ok((await at('configmaps/z-settings')) < deploymentRv, 'the ConfigMap exists before the Deployment');
  });

  test('a Deployment whose replicas are updated but never available (Pods stay Pending) is Progressing, not Healthy', async (t) => {
    const ns = await testNamespace(t);
    const remote = TestRemote.create(t);
    const web = deployment('web', ns);
    // No node carries this label: the Pod is created (the replica is updated) and never scheduled.
    (web.spec as { template: { spec: Record<string, unknown> } }).template.spec.nodeSelector = {
      'synthops.dev/test-no-such-node': 'true',
    };
    remote.publish('deploy', synthopsTree('dev', { web: [web] }));
    const r = (
      await runOnce(t, { repo: remote.fileUrl, branch: 'deploy', ns, wait: { timeoutMs: 5_000, pollMs: 200 } })
    ).result;
    const app = r.apps[0];
    assert.equal(app.status, 'Applied');
    assert.equal(r.converged, false, 'an app that is not healthy is not converged');
    assert.equal(app.health, 'Progressing', JSON.stringify(app));
    assert.match(app.healthMessage ?? '', new RegExp(`^Deployment ${ns}/web: 0/1 replicas available$`));

    // The state judged is the one asked for: updated, not available.
    const dep = await (await testKubeConfig())
      .makeApiClient(k8s.AppsV1Api)
      .readNamespacedDeployment({ name: 'web', namespace: ns });
    assert.equal(dep.status?.updatedReplicas, 1);
    assert.equal(dep.status?.availableReplicas ?? 0, 0);
  });
});
