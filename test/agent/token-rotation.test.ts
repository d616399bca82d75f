/**
 * The long-running agent with in-cluster credentials keeps working when its
 * ServiceAccount token file is rotated: it reads the file again, so requests go on
 * with the new token after the old one stops being accepted.
 */
import * as k8s from '@kubernetes/client-node';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { describe, test } from 'node:test';
import { KubeClient } from '../../src/kube/client';
import { KubeApiError } from '../../src/kube/errors';
import { kubeconfigFromObject, loadInCluster } from '../../src/kube/kubeconfig';
import { refOf } from '../../src/model/manifest';
import { configMap, synthopsTree, testObjects } from '../harness/agent';
import { eventually, testKubeConfig, testNamespace } from '../harness/cluster';
import { startController } from '../harness/controller';
import { TestRemote } from '../harness/git';

describe('agent: rotated ServiceAccount tokens', () => {
  test("the token file is rewritten with another account's token and the first account is deleted: the agent goes on applying", async (t) => {
    const ns = await testNamespace(t);
    const kc = await testKubeConfig();
    const core = kc.makeApiClient(k8s.CoreV1Api);
    const rbac = kc.makeApiClient(k8s.RbacAuthorizationV1Api);
    // Two accounts allowed to run the agent. Bound tokens cannot be revoked one by one:
    // deleting the first account is what makes its token stop working.
    const binding = `synthops-test-${ns}`;
    for (const name of ['agent-a', 'agent-b'])
      await core.createNamespacedServiceAccount({ namespace: ns, body: { metadata: { name } } });
    await rbac.createClusterRoleBinding({
      body: {
        metadata: { name: binding },
        roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'ClusterRole', name: 'cluster-admin' },
        subjects: ['agent-a', 'agent-b'].map((name) => ({ kind: 'ServiceAccount', name, namespace: ns })),
      },
    });
    t.after(() => rbac.deleteClusterRoleBinding({ name: binding }).catch(() => undefined));
    const token = async (name: string) =>
      (
        await core.createNamespacedServiceAccountToken({
          name,
          namespace: ns,
          body: { spec: { audiences: [], expirationSeconds: 3600 } },
        })
      ).status!.token!;
    const [tokenA, tokenB] = [await token('agent-a'), await token('agent-b')];

    // The files a Pod gets, in a folder of the test's own.
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'synthops-sa-'));
    t.after(() => fs.rmSync(dir, { recursive: true, force: true }));
    const cluster = kc.getCurrentCluster()!;
    fs.writeFileSync(path.join(dir, 'token'), tokenA);
    fs.copyFileSync(cluster.caFile!, path.join(dir, 'ca.crt'));
    fs.writeFileSync(path.join(dir, 'namespace'), ns);
    const server = new URL(cluster.server);
    // Credentials are re-read every 200 ms instead of every minute, to keep the test short.
    const client = new KubeClient(
      loadInCluster({
        inClusterRoot: dir,
        env: { KUBERNETES_SERVICE_HOST: server.hostname, KUBERNETES_SERVICE_PORT: server.port },
      }),
      { authTtlMs: 200 },
    );

    const remote = TestRemote.create(t);
    remote.publish('deploy', synthopsTree('dev', { shop: [configMap('before', ns)] }));
    await startController(t, { repo: remote.fileUrl, branch: 'deploy', ns, intervalMs: 500, client });
    const objects = await testObjects(t);
    await eventually('applied with the first token', () => objects.get(refOf(configMap('before', ns))), 30_000);

    // Rotation, as the kubelet does it: the new token replaces the file in one rename.
    fs.writeFileSync(path.join(dir, 'token.new'), tokenB);
    fs.renameSync(path.join(dir, 'token.new'), path.join(dir, 'token'));
    await core.deleteNamespacedServiceAccount({ name: 'agent-a', namespace: ns });
    const withA = new KubeClient(
      kubeconfigFromObject({
        clusters: [{ name: 'c', cluster: { server: cluster.server, 'certificate-authority': cluster.caFile } }],
        users: [{ name: 'a', user: { token: tokenA } }],
        contexts: [{ name: 'c', context: { cluster: 'c', user: 'a' } }],
        'current-context': 'c',
      }),
    );
    t.after(() => withA.close());
    await eventually(
      'the first token is refused',
      () =>
        withA.request('GET', `/api/v1/namespaces/${ns}/configmaps`).then(
          () => undefined,
          (e: unknown) => {
            if (e instanceof KubeApiError && e.status === 401) return true;
            throw e;
          },
        ),
      30_000,
    );

    remote.publish('deploy', synthopsTree('dev', { shop: [configMap('before', ns), configMap('after', ns)] }));
    await eventually('applied with the rotated token', () => objects.get(refOf(configMap('after', ns))), 30_000);
  });
});
