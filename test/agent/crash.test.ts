/**
 * A crash mid-apply orphans nothing: `synthops agent --once` as a real process,
 * SIGKILLed after its first writes and before it finishes, leaves every object it
 * created recorded in its inventory, so a later run prunes or keeps tracking each one.
 */
import { spawn } from 'child_process';
import * as assert from 'node:assert/strict';
import * as path from 'path';
import { describe, test } from 'node:test';
import { InventoryStore } from '../../src/agent/state/inventory';
import { APP_LABEL } from '../../src/model/keys';
import { Manifest, identityKey, refOf } from '../../src/model/manifest';
import { configMap, runOnce, synthopsTree, testClient } from '../harness/agent';
import { testKubeconfig, testNamespace } from '../harness/cluster';
import { TestRemote } from '../harness/git';
import { SYNTHOPS_BIN, agentOnceArgs } from '../harness/once-args';

// Enough objects that the writes take far longer than noticing the first one.
const COUNT = 400;
const CUE = 10;

describe('agent: a crash between writes', () => {
  test('SIGKILL after the first writes of a reconcile that adds objects: every created object is in the inventory, and a later run prunes them', async (t) => {
    const ns = await testNamespace(t);
    const remote = TestRemote.create(t);
    const many = Array.from({ length: COUNT }, (_, i) => configMap(`cm-${String(i).padStart(3, '0')}`, ns));
    remote.publish('deploy', synthopsTree('dev', { shop: many }));
    const client = await testClient(t);

    // Watch the namespace from now on: the app's objects appearing is the cue (a few
    // past the first write, which goes alone, so the kill lands inside a batch).
    const list = await client.request<{ metadata: { resourceVersion: string } }>(
      'GET',
      `/api/v1/namespaces/${ns}/configmaps`,
    );
    let cue!: () => void;
    const written = new Promise<void>((resolve) => {
      cue = resolve;
    });
    let added = 0;
    const watch = client.watch(
      `/api/v1/namespaces/${ns}/configmaps`,
      { resourceVersion: list.metadata.resourceVersion, labelSelector: `${APP_LABEL}=shop` },
      (e) => {
        if (e.type === 'ADDED' && ++added >= CUE) cue();
      },
    );
    watch.done.catch(() => undefined); // a failed watch shows as a missed cue: the race ends with the exit instead
    t.after(() => watch.abort());

    const child = spawn(
      process.execPath,
      [
        SYNTHOPS_BIN,
        ...agentOnceArgs({
          repo: remote.fileUrl,
          namespace: ns,
          timeout: '60s',
          kubeconfig: await testKubeconfig(),
          workdir: path.join(remote.root, 'agent'),
        }),
      ],
      { stdio: 'ignore' },
    );
    const exited = new Promise<NodeJS.Signals | number | null>((resolve) =>
      child.on('exit', (code, signal) => resolve(signal ?? code)),
    );
    t.after(() => {
      if (child.exitCode === null) child.kill('SIGKILL');
    });
    await Promise.race([written, exited]);
    child.kill('SIGKILL');
    assert.equal(await exited, 'SIGKILL', 'the agent was killed, it did not finish on its own');
    watch.abort();

    const live = (
      await client.request<{ items: Manifest[] }>('GET', `/api/v1/namespaces/${ns}/configmaps`, {
        query: { labelSelector: `${APP_LABEL}=shop` },
      })
    ).items;
    assert.ok(live.length > 0, 'the kill came after the first write');
    assert.ok(live.length < COUNT, `the kill came before the last write (${live.length} of ${COUNT} written)`);
    process.stdout.write(`# killed after ${live.length} of ${COUNT} objects were written\n`);
    const inventory = (await new InventoryStore(client, ns).list('dev')).find((i) => i.app === 'shop');
    assert.ok(inventory, 'an inventory was recorded before the first write');
    const recorded = new Set(inventory.objects.map(identityKey));
    const orphans = live
      .map((m) => ({ ...m, apiVersion: 'v1', kind: 'ConfigMap' }))
      .filter((m) => !recorded.has(identityKey(refOf(m))));
    assert.deepEqual(
      orphans.map((m) => m.metadata.name),
      [],
      'every object written is recorded',
    );

    // The next revision keeps one object: the run prunes all the others, written or not.
    remote.publish('deploy', synthopsTree('dev', { shop: [many[0]] }));
    const after = (await runOnce(t, { repo: remote.fileUrl, branch: 'deploy', ns, allowPrune: ['shop'] })).result;
    assert.equal(after.converged, true, JSON.stringify(after.apps));
    const left = (
      await client.request<{ items: Manifest[] }>('GET', `/api/v1/namespaces/${ns}/configmaps`, {
        query: { labelSelector: `${APP_LABEL}=shop` },
      })
    ).items;
    assert.deepEqual(
      left.map((m) => m.metadata.name),
      [many[0].metadata.name],
      'nothing the killed run wrote is left behind',
    );
  });
});
