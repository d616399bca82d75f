/** The seed's own config repo: plain deployment.yml + service.yml, reconciled over git://. */
import * as k8s from '@kubernetes/client-node';
import { spawnSync } from 'child_process';
import * as assert from 'node:assert/strict';
import * as fs from 'fs';
import * as path from 'path';
import { describe, test } from 'node:test';
import { eventually, testKubeConfig, testKubeconfig, testNamespace } from '../harness/cluster';
import { REPO_ROOT } from '../harness/config-repo';
import { TestRemote } from '../harness/git';
import { SYNTHOPS_BIN, agentOnceArgs } from '../harness/once-args';
import { runOnce } from '../harness/agent';

const SEED = path.join(REPO_ROOT, 'apps', 'seed-plain');

describe('agent: a plain-YAML config repo', () => {
  test('the seed repo (Deployment simple-deployment + Service simple-service) is reconciled and healthy', async (t) => {
    const ns = await testNamespace(t);
    const remote = TestRemote.create(t);
    remote.publish('main', {
      'deployment.yml': fs.readFileSync(path.join(SEED, 'deployment.yml'), 'utf8'),
      'service.yml': fs.readFileSync(path.join(SEED, 'service.yml'), 'utf8'),
    });
    const url = await remote.serve();
    const { result, loaded } = await runOnce(t, {
      repo: url,
      branch: 'main',
      ns,
      fallbackName: 'gitops-kubernetes-configuration',
    });
    assert.equal(loaded.layout, 'plain');
    assert.equal(result.converged, true, JSON.stringify(result.apps));
    const app = result.apps[0];
    assert.equal(app.app, 'gitops-kubernetes-configuration');
    assert.deepEqual(app.created.sort(), [`Deployment ${ns}/simple-deployment`, `Service ${ns}/simple-service`]);
    assert.equal(app.health, 'Healthy');

    const kc = await testKubeConfig();
    const dep = await kc
      .makeApiClient(k8s.AppsV1Api)
      .readNamespacedDeployment({ name: 'simple-deployment', namespace: ns });
    assert.equal(dep.spec?.template.spec?.containers[0].image, 'docker.io/kostiscodefresh/simple-web-app:3d9b390');
    assert.equal(dep.status?.availableReplicas, 1);
    assert.deepEqual(
      dep.metadata?.labels,
      { 'synthops.dev/app': 'gitops-kubernetes-configuration', 'synthops.dev/env': 'default' },
      'ownership labels stamped',
    );
    const svc = await kc.makeApiClient(k8s.CoreV1Api).readNamespacedService({ name: 'simple-service', namespace: ns });
    assert.deepEqual(svc.spec?.selector, { app: 'trivial-go-web-app' });
    const pods = await kc
      .makeApiClient(k8s.CoreV1Api)
      .listNamespacedPod({ namespace: ns, labelSelector: 'app=trivial-go-web-app' });
    assert.equal(pods.items[0]?.status?.phase, 'Running');
  });

  test('the CI image bump (the seed flow) rolls the Deployment; `synthops agent --once` exits 0 and prints the change set', async (t) => {
    const ns = await testNamespace(t);
    const remote = TestRemote.create(t);
    const deploymentYml = fs.readFileSync(path.join(SEED, 'deployment.yml'), 'utf8');
    const service = fs.readFileSync(path.join(SEED, 'service.yml'), 'utf8');
    remote.publish('main', { 'deployment.yml': deploymentYml, 'service.yml': service });
    const cli = (...extra: string[]) =>
      spawnSync(
        process.execPath,
        [
          SYNTHOPS_BIN,
          ...agentOnceArgs({
            repo: remote.fileUrl,
            branch: 'main',
            app: 'seed',
            namespace: ns,
            timeout: '60s',
            workdir: path.join(remote.root, 'agent'),
            kubeconfig,
            extra,
          }),
        ],
        { encoding: 'utf8' },
      );
    const kubeconfig = await testKubeconfig();
    const first = cli();
    assert.equal(first.status, 0, first.stdout + first.stderr);
    assert.match(first.stdout, /^seed\s+Applied\s+2\s+0\s+0\s+0\s+0\s+Healthy$/m);

    remote.publish(
      'main',
      { 'deployment.yml': deploymentYml.replace(':3d9b390', ':4e5f6a7'), 'service.yml': service },
      'bump image to 4e5f6a7',
    );
    const second = cli();
    assert.equal(second.status, 0, second.stdout + second.stderr);
    assert.match(second.stdout, /^seed\s+Applied\s+0\s+1\s+1\s+0\s+0\s+Healthy$/m);
    assert.match(second.stdout, new RegExp(`configured \\(1\\):\\n\\s+Deployment ${ns}/simple-deployment`));
    const kc = await testKubeConfig();
    await eventually('new image rolled out', async () => {
      const d = await kc
        .makeApiClient(k8s.AppsV1Api)
        .readNamespacedDeployment({ name: 'simple-deployment', namespace: ns });
      return d.spec?.template.spec?.containers[0].image?.endsWith(':4e5f6a7') && d.status?.updatedReplicas === 1
        ? true
        : undefined;
    });
  });
});
