/** Bad input is refused with a clear message, and nothing is lost. */
import * as assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { LoadError, SourceError } from '../../src/agent/source/errors';
import { refOf } from '../../src/model/manifest';
import { configMap, deployment, resourceVersions, runOnce, synthopsTree, testObjects } from '../harness/agent';
import { testNamespace } from '../harness/cluster';
import { TestRemote } from '../harness/git';

describe('agent: bad input', () => {
  test('malformed YAML rejects the whole revision: no request writes, the previous revision stays', async (t) => {
    const ns = await testNamespace(t);
    const remote = TestRemote.create(t);
    const good = [configMap('a', ns)];
    remote.publish('deploy', {
      'cm.yaml': `apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: a\n  namespace: ${ns}\ndata:\n  k: v\n`,
    });
    assert.equal(
      (await runOnce(t, { repo: remote.fileUrl, branch: 'deploy', ns, app: 'shop' })).result.converged,
      true,
    );
    const objects = await testObjects(t);
    const before = await resourceVersions(objects, good);

    remote.publish('deploy', {
      'cm.yaml': `apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: a\n  namespace: ${ns}\ndata:\n  k: changed\n`,
      'more.yaml': 'apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: [unclosed\n',
      'nameless.yml': 'apiVersion: v1\nkind: ConfigMap\n---\nkind: Secret\nmetadata:\n  name: s\n',
    });
    await assert.rejects(runOnce(t, { repo: remote.fileUrl, branch: 'deploy', ns, app: 'shop' }), (e: Error) => {
      assert.ok(e instanceof LoadError);
      assert.match(e.message, /^revision [0-9a-f]{12} rejected, nothing applied:/);
      assert.match(e.message, /more\.yaml#0: malformed YAML: /);
      assert.match(e.message, /nameless\.yml#0: object without metadata\.name/);
      assert.match(e.message, /nameless\.yml#1: object without apiVersion/);
      return true;
    });
    assert.deepEqual(await resourceVersions(objects, good), before);
    assert.deepEqual((await objects.get(refOf(configMap('a', ns))))?.data, { k: 'v' }, 'still the previous revision');
  });

  test('duplicate identities and a file changed after synth (hash mismatch) are rejected', async (t) => {
    const ns = await testNamespace(t);
    const remote = TestRemote.create(t);
    remote.publish('deploy', {
      'a.yaml': `apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: a\n  namespace: ${ns}\n`,
      'b.yaml': `apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: a\n  namespace: ${ns}\n`,
    });
    await assert.rejects(
      runOnce(t, { repo: remote.fileUrl, branch: 'deploy', ns }),
      /b\.yaml#0: duplicate object ConfigMap .*\/a, also in a\.yaml#0/,
    );

    const tree = synthopsTree('dev', { shop: [configMap('a', ns)] });
    tree['dev/shop/configmap-a.yaml'] = tree['dev/shop/configmap-a.yaml'].replace('k: v', 'k: tampered');
    remote.publish('deploy', tree);
    await assert.rejects(
      runOnce(t, { repo: remote.fileUrl, branch: 'deploy', ns }),
      /dev\/shop\/configmap-a\.yaml: sha256 does not match index\.json \(the file was changed after synth\)/,
    );
    assert.equal(await (await testObjects(t)).get(refOf(configMap('a', ns))), undefined);
  });

  test('an unknown kind or a missing CRD fails that app with no writes; other apps still apply', async (t) => {
    const ns = await testNamespace(t);
    const remote = TestRemote.create(t);
    const widget = {
      apiVersion: 'example.synthops.dev/v1',
      kind: 'Widget',
      metadata: { name: 'w', namespace: ns },
      spec: {},
    };
    remote.publish(
      'deploy',
      synthopsTree('dev', { broken: [configMap('first', ns), widget], fine: [configMap('ok', ns)] }),
    );
    const r = (await runOnce(t, { repo: remote.fileUrl, branch: 'deploy', ns })).result;
    assert.equal(r.converged, false);
    const broken = r.apps.find((a) => a.app === 'broken')!;
    assert.equal(broken.status, 'Failed');
    assert.match(
      broken.errors[0],
      new RegExp(
        `^Widget ${ns}/w \\(dev/broken/widget-w.yaml#0\\): the API has no kind Widget in example.synthops.dev/v1 \\(unknown kind, or its CustomResourceDefinition is not installed\\)$`,
      ),
    );
    assert.deepEqual(broken.created, []);
    const objects = await testObjects(t);
    assert.equal(await objects.get(refOf(configMap('first', ns))), undefined, 'nothing of the failed app was written');
    const fine = r.apps.find((a) => a.app === 'fine')!;
    assert.deepEqual([fine.status, fine.health], ['Applied', 'Healthy']);
    assert.ok(await objects.get(refOf(configMap('ok', ns))));
  });

  test('an object the apiserver rejects fails its app before any write, naming the object and the message', async (t) => {
    const ns = await testNamespace(t);
    const remote = TestRemote.create(t);
    const bad = deployment('web', ns, -1);
    remote.publish('deploy', synthopsTree('dev', { shop: [configMap('cm', ns), bad] }));
    const shop = (await runOnce(t, { repo: remote.fileUrl, branch: 'deploy', ns })).result.apps[0];
    assert.equal(shop.status, 'Failed');
    assert.match(
      shop.errors[0],
      new RegExp(
        `validation failed, nothing of this app was written: Deployment ${ns}/web \\(dev/shop/deployment-web.yaml#0\\): .*spec.replicas: Invalid value: -1: must be greater than or equal to 0 \\(HTTP 422 Invalid\\)`,
      ),
    );
    assert.equal(await (await testObjects(t)).get(refOf(configMap('cm', ns))), undefined);
  });

  test('an unreachable remote or a missing branch is a clear error and changes nothing', async (t) => {
    const ns = await testNamespace(t);
    const remote = TestRemote.create(t);
    remote.publish('deploy', synthopsTree('dev', { shop: [configMap('a', ns)] }));
    const url = await remote.serve();
    assert.equal(
      (await runOnce(t, { repo: url, branch: 'deploy', ns })).result.converged,
      true,
      'served by git daemon',
    );
    const before = await resourceVersions(await testObjects(t), [configMap('a', ns)]);

    await assert.rejects(
      runOnce(t, { repo: url, branch: 'no-such-branch', ns }),
      (e: Error) =>
        e instanceof SourceError && /branch no-such-branch\): branch "no-such-branch" does not exist/.test(e.message),
    );
    remote.stopDaemon();
    await assert.rejects(
      runOnce(t, { repo: url, branch: 'deploy', ns }),
      (e: Error) => e instanceof SourceError && /remote cannot be reached/.test(e.message),
    );
    await assert.rejects(
      runOnce(t, { repo: 'file:///nonexistent/repo.git', branch: 'deploy', ns }),
      (e: Error) => e instanceof SourceError && /remote cannot be reached/.test(e.message),
    );
    assert.deepEqual(await resourceVersions(await testObjects(t), [configMap('a', ns)]), before);
  });
});
