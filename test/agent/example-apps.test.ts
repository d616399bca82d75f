/** The example config repo, synthesised and published, reconciled by the agent: first sync, then a no-op. */
import * as k8s from '@kubernetes/client-node';
import * as assert from 'node:assert/strict';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { describe, test } from 'node:test';
import { synth } from '../../src/synth/synth';
import { Manifest } from '../../src/model/manifest';
import { resourceVersions, runOnce, testObjects } from '../harness/agent';
import { deleteNamespaces, testKubeConfig, testNamespace } from '../harness/cluster';
import { REPO_ROOT } from '../harness/config-repo';
import { TestRemote, treeOf } from '../harness/git';

describe('agent: the example apps', () => {
  test('first sync converges (CRD before its custom resource), a second run writes nothing', async (t) => {
    const inventoryNs = await testNamespace(t, 'inv');
    const out = fs.mkdtempSync(path.join(os.tmpdir(), 'synthops-dist-'));
    t.after(() => fs.rmSync(out, { recursive: true, force: true }));
    assert.equal(synth({ root: REPO_ROOT, out: path.join(out, 'dist') }).ok, true);
    const remote = TestRemote.create(t);
    remote.publish('deploy', treeOf(path.join(out, 'dist')));
    const kc = await testKubeConfig();
    const fixed = ['simple-web-app', 'greetings', 'seed-plain', 'synthops-system'];
    const cleanup = async () => {
      await kc
        .makeApiClient(k8s.ApiextensionsV1Api)
        .deleteCustomResourceDefinition({ name: 'greetings.examples.synthops.dev' })
        .catch(() => undefined);
      await deleteNamespaces(fixed);
    };
    await cleanup(); // the example apps use fixed namespaces: start from none of them
    t.after(cleanup);

    const first = await runOnce(t, { repo: remote.fileUrl, branch: 'deploy', env: 'dev', ns: inventoryNs });
    const byApp = Object.fromEntries(first.result.apps.map((a) => [a.app, a]));
    assert.equal(first.result.converged, true, JSON.stringify(first.result.apps.map((a) => [a.app, a.why])));
    assert.deepEqual(Object.keys(byApp).sort(), ['greetings', 'seed-plain', 'simple-web-app', 'synthops-agent']);
    // 10 objects; cluster-scoped ones (its CRDs, ClusterRole) may exist from an earlier agent.
    const agentApp = byApp['synthops-agent'];
    assert.equal(
      agentApp.created.length + agentApp.configured.length + agentApp.unchanged.length,
      10,
      'the agent installs itself like any app',
    );
    assert.ok(agentApp.created.includes('Deployment synthops-system/synthops-agent'));
    assert.deepEqual(byApp['simple-web-app'].created.sort(), [
      'Deployment simple-web-app/simple-web-app',
      'Namespace simple-web-app',
      'Service simple-web-app/simple-web-app',
    ]);
    assert.deepEqual(byApp.greetings.created.sort(), [
      'CustomResourceDefinition greetings.examples.synthops.dev',
      'Greeting greetings/hello',
      'Namespace greetings',
    ]);
    for (const a of first.result.apps) assert.equal(a.health, 'Healthy', `${a.app}: ${a.healthMessage}`);

    const apps = kc.makeApiClient(k8s.AppsV1Api);
    const dep = await apps.readNamespacedDeployment({ name: 'simple-web-app', namespace: 'simple-web-app' });
    assert.equal(dep.status?.availableReplicas, 1);
    assert.equal(dep.metadata?.labels?.['synthops.dev/app'], 'simple-web-app');
    assert.ok(dep.metadata?.managedFields?.some((f) => f.manager === 'synthops' && f.operation === 'Apply'));

    const objects = await testObjects(t);
    const all: Manifest[] = first.loaded.apps.flatMap((a) => a.objects.map((o) => o.manifest));
    const before = await resourceVersions(objects, all);
    const second = await runOnce(t, { repo: remote.fileUrl, branch: 'deploy', env: 'dev', ns: inventoryNs });
    assert.equal(second.result.converged, true);
    for (const a of second.result.apps) {
      assert.deepEqual([a.created, a.configured, a.pruned], [[], [], []], `${a.app} wrote nothing`);
      assert.equal(a.unchanged.length, a.app === 'synthops-agent' ? 10 : 3);
    }
    assert.deepEqual(await resourceVersions(objects, all), before, 'no resourceVersion moved');
  });
});
