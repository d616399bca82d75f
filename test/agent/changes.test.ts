/** How the agent handles change: only changed objects written, prune, its guards, dry-run. */
import * as assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { refOf } from '../../src/model/manifest';
import { configMap, deployment, resourceVersions, runOnce, synthopsTree, testObjects } from '../harness/agent';
import { testNamespace } from '../harness/cluster';
import { inventoryName } from '../../src/agent/state/inventory';
import { TestRemote } from '../harness/git';

describe('agent: changes and prune', () => {
  test('changing one object writes only that object', async (t) => {
    const ns = await testNamespace(t);
    const remote = TestRemote.create(t);
    const objs = [configMap('a', ns), configMap('b', ns), configMap('c', ns), deployment('web', ns)];
    remote.publish('deploy', synthopsTree('dev', { shop: objs }));
    assert.equal((await runOnce(t, { repo: remote.fileUrl, branch: 'deploy', ns })).result.converged, true);
    const objects = await testObjects(t);
    const before = await resourceVersions(objects, objs);

    remote.publish(
      'deploy',
      synthopsTree('dev', {
        shop: [configMap('a', ns), configMap('b', ns, { k: 'changed' }), configMap('c', ns), deployment('web', ns)],
      }),
    );
    const r = (await runOnce(t, { repo: remote.fileUrl, branch: 'deploy', ns })).result;
    const shop = r.apps.find((a) => a.app === 'shop')!;
    assert.deepEqual(shop.configured, [`ConfigMap ${ns}/b`]);
    assert.deepEqual(shop.created, []);
    assert.equal(shop.unchanged.length, 3);
    const after = await resourceVersions(objects, objs);
    assert.notEqual(after['ConfigMap/b'], before['ConfigMap/b']);
    for (const k of ['ConfigMap/a', 'ConfigMap/c', 'Deployment/web'])
      assert.equal(after[k], before[k], `${k} was not written`);
  });

  test('an object removed from Git is pruned; one annotated prune: disabled is kept', async (t) => {
    const ns = await testNamespace(t);
    const remote = TestRemote.create(t);
    const keep = configMap('keep', ns, { k: 'v' }, { 'synthops.dev/prune': 'disabled' });
    remote.publish(
      'deploy',
      synthopsTree('dev', {
        shop: [configMap('a', ns), configMap('b', ns), configMap('c', ns), configMap('gone', ns), keep],
      }),
    );
    assert.equal((await runOnce(t, { repo: remote.fileUrl, branch: 'deploy', ns })).result.converged, true);

    remote.publish(
      'deploy',
      synthopsTree('dev', { shop: [configMap('a', ns), configMap('b', ns), configMap('c', ns)] }),
    );
    const shop = (await runOnce(t, { repo: remote.fileUrl, branch: 'deploy', ns })).result.apps[0];
    assert.deepEqual(shop.pruned, [`ConfigMap ${ns}/gone`]);
    assert.deepEqual(shop.kept, [`ConfigMap ${ns}/keep: annotated synthops.dev/prune: disabled`]);
    const objects = await testObjects(t);
    assert.equal(await objects.get(refOf(configMap('gone', ns))), undefined, 'pruned');
    assert.ok(await objects.get(refOf(keep)), 'kept');

    // It is no longer in the inventory: a later run does not try again.
    const again = (await runOnce(t, { repo: remote.fileUrl, branch: 'deploy', ns })).result.apps[0];
    assert.deepEqual([again.pruned, again.kept], [[], []]);
  });

  test('an object that another app took over is not pruned', async (t) => {
    const ns = await testNamespace(t);
    const remote = TestRemote.create(t);
    remote.publish(
      'deploy',
      synthopsTree('dev', { a: [configMap('x', ns), configMap('moving', ns)], b: [configMap('y', ns)] }),
    );
    assert.equal((await runOnce(t, { repo: remote.fileUrl, branch: 'deploy', ns })).result.converged, true);
    remote.publish(
      'deploy',
      synthopsTree('dev', { a: [configMap('x', ns)], b: [configMap('y', ns), configMap('moving', ns)] }),
    );
    const r = (await runOnce(t, { repo: remote.fileUrl, branch: 'deploy', ns })).result;
    assert.equal(r.converged, true, JSON.stringify(r.apps));
    const live = await (await testObjects(t)).get(refOf(configMap('moving', ns)));
    assert.equal(live?.metadata.labels?.['synthops.dev/app'], 'b', 'the object survives, now owned by b');
  });

  test('mass prune is held and reported until allowed by a commit trailer', async (t) => {
    const ns = await testNamespace(t);
    const remote = TestRemote.create(t);
    const all = ['a', 'b', 'c', 'd'].map((n) => configMap(n, ns));
    remote.publish('deploy', synthopsTree('dev', { shop: all }));
    assert.equal((await runOnce(t, { repo: remote.fileUrl, branch: 'deploy', ns })).result.converged, true);

    remote.publish('deploy', synthopsTree('dev', { shop: [configMap('a', ns)] }));
    const held = (await runOnce(t, { repo: remote.fileUrl, branch: 'deploy', ns })).result;
    assert.equal(held.converged, false);
    const shop = held.apps[0];
    assert.deepEqual(shop.pruned, []);
    assert.equal(shop.held.length, 3);
    assert.match(
      shop.held[0],
      /removes 3 of 4 objects of app "shop", more than half \(allow with --allow-prune shop or an "Allow-Prune: shop" trailer on the deploy commit\)/,
    );
    assert.match(shop.why, /^prune held: /);
    const objects = await testObjects(t);
    for (const m of all) assert.ok(await objects.get(refOf(m)), `${m.metadata.name} still there`);

    remote.publish('deploy', synthopsTree('dev', { shop: [configMap('a', ns)] }), 'shrink shop\n\nAllow-Prune: shop');
    const allowed = (await runOnce(t, { repo: remote.fileUrl, branch: 'deploy', ns })).result;
    assert.equal(allowed.converged, true);
    assert.deepEqual(allowed.apps[0].pruned.sort(), [`ConfigMap ${ns}/b`, `ConfigMap ${ns}/c`, `ConfigMap ${ns}/d`]);
  });

  test('a whole app leaving Git is held unless allowed; with --allow-prune it is removed', async (t) => {
    const ns = await testNamespace(t);
    const remote = TestRemote.create(t);
    remote.publish(
      'deploy',
      synthopsTree('dev', { keep: [configMap('k', ns)], old: [configMap('o1', ns), configMap('o2', ns)] }),
    );
    assert.equal((await runOnce(t, { repo: remote.fileUrl, branch: 'deploy', ns })).result.converged, true);
    remote.publish('deploy', synthopsTree('dev', { keep: [configMap('k', ns)] }));
    const held = (await runOnce(t, { repo: remote.fileUrl, branch: 'deploy', ns })).result;
    const old = held.apps.find((a) => a.app === 'old')!;
    assert.equal(old.held.length, 2);
    assert.match(old.held[0], /app "old" is no longer in the revision; removing a whole app is held/);
    const objects = await testObjects(t);
    assert.ok(await objects.get(refOf(configMap('o1', ns))));
    // Held again at a new revision: its record is not rewritten for nothing.
    const record = { apiVersion: 'v1', kind: 'ConfigMap', namespace: ns, name: inventoryName('dev', 'old') };
    const recordVersion = (await objects.get(record))?.metadata.resourceVersion;
    assert.ok(recordVersion, 'the held app keeps its inventory');
    remote.publish('deploy', synthopsTree('dev', { keep: [configMap('k', ns, { k: 'v2' })] }));
    const heldAgain = (await runOnce(t, { repo: remote.fileUrl, branch: 'deploy', ns })).result;
    assert.equal(heldAgain.apps.find((a) => a.app === 'old')!.held.length, 2);
    assert.equal(
      (await objects.get(record))?.metadata.resourceVersion,
      recordVersion,
      'inventory of the held app unchanged',
    );

    const allowed = (await runOnce(t, { repo: remote.fileUrl, branch: 'deploy', ns, allowPrune: ['old'] })).result;
    assert.deepEqual(allowed.apps.find((a) => a.app === 'old')!.pruned.sort(), [
      `ConfigMap ${ns}/o1`,
      `ConfigMap ${ns}/o2`,
    ]);
    assert.equal(await objects.get(refOf(configMap('o1', ns))), undefined);
    const later = (await runOnce(t, { repo: remote.fileUrl, branch: 'deploy', ns })).result;
    assert.deepEqual(
      later.apps.map((a) => a.app),
      ['keep'],
      'its inventory is gone too',
    );
  });

  test('--dry-run prints the plan and writes nothing', async (t) => {
    const ns = await testNamespace(t);
    const remote = TestRemote.create(t);
    remote.publish('deploy', synthopsTree('dev', { shop: [configMap('a', ns), deployment('web', ns)] }));
    const r = (await runOnce(t, { repo: remote.fileUrl, branch: 'deploy', ns, dryRun: true })).result;
    assert.equal(r.apps[0].status, 'Planned');
    assert.deepEqual(r.apps[0].created.sort(), [`ConfigMap ${ns}/a`, `Deployment ${ns}/web`]);
    const objects = await testObjects(t);
    assert.equal(await objects.get(refOf(configMap('a', ns))), undefined);
    assert.equal(await objects.get(refOf(deployment('web', ns))), undefined);
  });
});
