/** The long-running agent's view of apps that fail to fetch or leave Git: AppSyncs and synthops_app_ready say so. */
import * as assert from 'node:assert/strict';
import * as fs from 'fs';
import { describe, test } from 'node:test';
import { StatusStore } from '../../src/agent/state/status-store';
import { configMap, synthopsTree, testClient } from '../harness/agent';
import { eventually, testNamespace } from '../harness/cluster';
import { metricValue, startController } from '../harness/controller';
import { TestRemote } from '../harness/git';

describe('agent: status of failing and removed apps', () => {
  test('synthops_app_ready drops to 0 while the AppSync says SourceFailed, and returns to 1', async (t) => {
    const ns = await testNamespace(t);
    const remote = TestRemote.create(t);
    remote.publish('deploy', synthopsTree('dev', { shop: [configMap('a', ns)] }));
    const agent = await startController(t, {
      repo: remote.fileUrl,
      branch: 'deploy',
      ns,
      intervalMs: 1000,
      retryBaseMs: 200,
    });
    const store = new StatusStore(await testClient(t), ns);
    const ready = async () => (await store.get('dev', 'shop'))?.status?.conditions?.find((c) => c.type === 'Ready');
    await eventually('ready', async () => ((await ready())?.status === 'True' ? true : undefined));
    assert.equal(await metricValue(agent.metrics, 'synthops_app_ready', { app: 'shop', env: 'dev' }), 1);

    // The remote goes away: the fetch fails, the cluster keeps the last applied revision.
    const moved = `${remote.bare}.moved`;
    fs.renameSync(remote.bare, moved);
    await eventually(
      'SourceFailed',
      async () => ((await ready())?.reason === 'SourceFailed' ? true : undefined),
      30_000,
    );
    assert.equal(
      await metricValue(agent.metrics, 'synthops_app_ready', { app: 'shop', env: 'dev' }),
      0,
      'not ready in the metric either',
    );

    fs.renameSync(moved, remote.bare);
    await eventually('ready again', async () => ((await ready())?.status === 'True' ? true : undefined), 30_000);
    assert.equal(await metricValue(agent.metrics, 'synthops_app_ready', { app: 'shop', env: 'dev' }), 1);
  });

  test('an app that left Git: its AppSync says PruneHeld while the prune is held, and is deleted by the reconcile that prunes it', async (t) => {
    const ns = await testNamespace(t);
    const remote = TestRemote.create(t);
    remote.publish('deploy', synthopsTree('dev', { keep: [configMap('k', ns)], old: [configMap('o', ns)] }));
    const agent = await startController(t, { repo: remote.fileUrl, branch: 'deploy', ns });
    const store = new StatusStore(await testClient(t), ns);
    const readyOf = async (app: string) =>
      (await store.get('dev', app))?.status?.conditions?.find((c) => c.type === 'Ready');
    // One reconcile at a time, on demand (the poll interval is an hour).
    const reconcile = async () => {
      await eventually('idle', async () => (agent.controller.cycles >= 1 ? true : undefined));
      const before = agent.controller.cycles;
      agent.controller.request('interval', true); // a poll: a full reconcile
      await eventually('one more reconcile', async () => (agent.controller.cycles > before ? true : undefined), 30_000);
    };
    await eventually('both ready', async () =>
      (await readyOf('keep'))?.status === 'True' && (await readyOf('old'))?.status === 'True' ? true : undefined,
    );

    remote.publish('deploy', synthopsTree('dev', { keep: [configMap('k', ns)] }));
    await reconcile();
    const held = await readyOf('old');
    assert.deepEqual([held?.status, held?.reason], ['False', 'PruneHeld']);
    assert.match(held!.message, /app "old" is no longer in the revision/);
    assert.equal(await metricValue(agent.metrics, 'synthops_app_ready', { app: 'old', env: 'dev' }), 0);
    await reconcile();
    assert.equal((await readyOf('old'))?.reason, 'PruneHeld', 'still held at the next reconcile');

    remote.publish('deploy', synthopsTree('dev', { keep: [configMap('k', ns)] }), 'drop old\n\nAllow-Prune: old');
    await reconcile();
    assert.equal(
      await store.get('dev', 'old'),
      undefined,
      'deleted by the reconcile that pruned the app, never Ready True',
    );
    assert.equal(
      await metricValue(agent.metrics, 'synthops_app_ready', { app: 'old', env: 'dev' }),
      undefined,
      'no series for an app that is gone',
    );
    assert.equal((await readyOf('keep'))?.status, 'True');
  });
});
