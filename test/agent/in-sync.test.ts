/**
 * Objects already in sync are known without a dry-run (their digest annotation and
 * values), yet drift, fields removed from Git and invalid objects are still caught.
 */
import * as assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { DIGEST_ANNOTATION } from '../../src/model/keys';
import { Manifest, refOf } from '../../src/model/manifest';
import {
  configMap,
  deployment,
  resourceVersions,
  runOnce,
  synthopsTree,
  testClient,
  testObjects,
} from '../harness/agent';
import { testNamespace } from '../harness/cluster';
import { TestRemote } from '../harness/git';

/** A write by another field manager as a client-side update (what `kubectl edit` does). */
async function editAs(t: Parameters<typeof testClient>[0], m: Manifest, patch: Record<string, unknown>): Promise<void> {
  const c = await testClient(t);
  const path =
    m.kind === 'Deployment'
      ? `/apis/apps/v1/namespaces/${m.metadata.namespace}/deployments/${m.metadata.name}`
      : `/api/v1/namespaces/${m.metadata.namespace}/configmaps/${m.metadata.name}`;
  await c.request('PATCH', path, {
    body: patch,
    contentType: 'application/merge-patch+json',
    query: { fieldManager: 'kubectl-edit' },
  });
}

describe('agent: objects in sync are not dry-run', () => {
  test('a reconcile of an unchanged revision sends no write and no dry-run', async (t) => {
    const ns = await testNamespace(t);
    const remote = TestRemote.create(t);
    const objs = [configMap('a', ns), configMap('b', ns), deployment('web', ns)];
    remote.publish('deploy', synthopsTree('dev', { shop: objs }));
    assert.equal((await runOnce(t, { repo: remote.fileUrl, branch: 'deploy', ns })).result.converged, true);
    const objects = await testObjects(t);
    for (const m of objs)
      assert.match(
        String((await objects.get(refOf(m)))?.metadata.annotations?.[DIGEST_ANNOTATION]),
        /^sha256:[0-9a-f]{64}$/,
      );
    const before = await resourceVersions(objects, objs);

    const client = await testClient(t);
    const r = (await runOnce(t, { repo: remote.fileUrl, branch: 'deploy', ns, client })).result;
    assert.equal(r.converged, true);
    assert.deepEqual(r.apps[0].unchanged.length, 3);
    assert.equal(client.counts.PATCH ?? 0, 0, `requests: ${JSON.stringify(client.counts)}`);
    assert.deepEqual(await resourceVersions(objects, objs), before);

    // A field synthops does not set, added by someone else, is no reason to write.
    await editAs(t, objs[0], { metadata: { annotations: { 'example.com/note': 'hello' } } });
    const quiet = await testClient(t);
    await runOnce(t, { repo: remote.fileUrl, branch: 'deploy', ns, client: quiet });
    assert.equal(quiet.counts.PATCH ?? 0, 0);
  });

  test('drift on a field synthops sets is repaired although the digest still matches', async (t) => {
    const ns = await testNamespace(t);
    const remote = TestRemote.create(t);
    const objs = [configMap('a', ns, { k: 'v' }), deployment('web', ns, 1)];
    remote.publish('deploy', synthopsTree('dev', { shop: objs }));
    await runOnce(t, { repo: remote.fileUrl, branch: 'deploy', ns });
    await editAs(t, objs[0], { data: { k: 'edited' } });
    await editAs(t, objs[1], {
      spec: { template: { spec: { containers: [{ name: 'web', image: 'docker.io/library/nginx:1.27' }] } } },
    });

    const r = (await runOnce(t, { repo: remote.fileUrl, branch: 'deploy', ns })).result;
    assert.deepEqual(r.apps[0].configured.sort(), [`ConfigMap ${ns}/a`, `Deployment ${ns}/web`]);
    const objects = await testObjects(t);
    assert.deepEqual((await objects.get(refOf(objs[0])))?.data, { k: 'v' });
    const web = await objects.get(refOf(objs[1]));
    assert.equal(
      (web!.spec as { template: { spec: { containers: Array<{ image: string }> } } }).template.spec.containers[0].image,
      'docker.io/kostiscodefresh/simple-web-app:3d9b390',
    );
  });

  test('a key added to an atomic map synthops sets (a Service selector) is drift and is repaired', async (t) => {
    const ns = await testNamespace(t);
    const remote = TestRemote.create(t);
    const svc: Manifest = {
      apiVersion: 'v1',
      kind: 'Service',
      metadata: { name: 'web', namespace: ns },
      spec: { selector: { app: 'web' }, ports: [{ port: 80, targetPort: 8080 }] },
    };
    remote.publish('deploy', synthopsTree('dev', { shop: [svc] }));
    await runOnce(t, { repo: remote.fileUrl, branch: 'deploy', ns });
    const c = await testClient(t);
    // Every desired value is still there, and the digest matches: only ownership tells.
    await c.request('PATCH', `/api/v1/namespaces/${ns}/services/web`, {
      body: { spec: { selector: { app: 'web', track: 'canary' } } },
      contentType: 'application/merge-patch+json',
      query: { fieldManager: 'kubectl-edit' },
    });
    const r = (await runOnce(t, { repo: remote.fileUrl, branch: 'deploy', ns })).result;
    assert.deepEqual(r.apps[0].configured, [`Service ${ns}/web`]);
    const live = await (await testObjects(t)).get(refOf(svc));
    assert.deepEqual((live!.spec as { selector: Record<string, string> }).selector, { app: 'web' });
  });

  test('a field removed from Git is removed from the object', async (t) => {
    const ns = await testNamespace(t);
    const remote = TestRemote.create(t);
    remote.publish(
      'deploy',
      synthopsTree('dev', { shop: [configMap('a', ns, { k: 'v', old: 'x' }, { 'example.com/team': 'web' })] }),
    );
    await runOnce(t, { repo: remote.fileUrl, branch: 'deploy', ns });
    // Every value left in Git is still live: only the digest tells that something went.
    remote.publish('deploy', synthopsTree('dev', { shop: [configMap('a', ns, { k: 'v' })] }));
    const r = (await runOnce(t, { repo: remote.fileUrl, branch: 'deploy', ns })).result;
    assert.deepEqual(r.apps[0].configured, [`ConfigMap ${ns}/a`]);
    const live = await (await testObjects(t)).get(refOf(configMap('a', ns)));
    assert.deepEqual(live?.data, { k: 'v' });
    assert.equal(live?.metadata.annotations?.['example.com/team'], undefined);
  });

  test('the first object written is not dry-run, yet an invalid one still leaves the app unwritten', async (t) => {
    const ns = await testNamespace(t);
    const remote = TestRemote.create(t);
    // ServiceAccounts go before ConfigMaps: the invalid one is the first write.
    const badSa: Manifest = {
      apiVersion: 'v1',
      kind: 'ServiceAccount',
      metadata: { name: 'Not_A_Name', namespace: ns },
    };
    const badCm: Manifest = {
      apiVersion: 'v1',
      kind: 'ConfigMap',
      metadata: { name: 'b', namespace: ns },
      data: { k: 'v' },
      unknownField: true,
    } as Manifest;
    remote.publish('deploy', synthopsTree('dev', { shop: [badSa, configMap('a', ns), badCm] }));
    const r = (await runOnce(t, { repo: remote.fileUrl, branch: 'deploy', ns })).result;
    const shop = r.apps[0];
    assert.equal(shop.status, 'Failed');
    // Both invalid objects are named at once.
    assert.ok(
      shop.errors.some(
        (e) => e.startsWith('validation failed, nothing of this app was written') && e.includes('ServiceAccount'),
      ),
      JSON.stringify(shop.errors),
    );
    assert.ok(
      shop.errors.some((e) => e.includes(`ConfigMap ${ns}/b`) && /unknownField/.test(e)),
      JSON.stringify(shop.errors),
    );
    assert.equal(
      await (await testObjects(t)).get(refOf(configMap('a', ns))),
      undefined,
      'nothing of the app was written',
    );

    // Only the first write invalid: still nothing else is written.
    remote.publish('deploy', synthopsTree('dev', { shop: [badSa, configMap('a', ns)] }));
    const again = (await runOnce(t, { repo: remote.fileUrl, branch: 'deploy', ns })).result.apps[0];
    assert.equal(again.status, 'Failed');
    assert.match(
      again.errors.join('\n'),
      /validation failed, nothing of this app was written: ServiceAccount .*Not_A_Name/,
    );
    assert.equal(
      await (await testObjects(t)).get(refOf(configMap('a', ns))),
      undefined,
      'nothing of the app was written',
    );
    // Nor is the inventory left claiming objects that were never created: the fix that
    // drops them is applied, not held as a prune.
    remote.publish('deploy', synthopsTree('dev', { shop: [configMap('c', ns)] }));
    const fixed = (await runOnce(t, { repo: remote.fileUrl, branch: 'deploy', ns })).result;
    assert.equal(fixed.converged, true, JSON.stringify(fixed.apps));
    assert.deepEqual(fixed.apps[0].held, []);
  });
});
