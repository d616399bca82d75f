/**
 * The long-running agent posts commit statuses: pending when a new deploy commit is
 * applied, then each app's result, on the source commit its trailers name, in the repo
 * of its Source-Repo trailer, against a local fake forge that checks path and token.
 */
import * as assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { Notifier } from '../../src/agent/controller/notify';
import { configMap, synthopsTree } from '../harness/agent';
import { eventually, testNamespace } from '../harness/cluster';
import { startController } from '../harness/controller';
import { TestRemote } from '../harness/git';
import { startReceiver } from '../harness/receiver';

const TOKEN = 'forge-token-for-tests-0123456789';

function trailers(source: string): string {
  return `publish\n\nSource-Commit: ${source}\nSource-Repo: https://forge.example/acme/config\n`;
}

describe('agent: commit statuses on the forge', () => {
  test('pending, then success or error per app, on the source commit; the token stays out of the logs', async (t) => {
    const ns = await testNamespace(t);
    const remote = TestRemote.create(t);
    const forge = await startReceiver(t, 0, (r) =>
      r.headers.authorization === `Bearer ${TOKEN}` && /^\/repos\/acme\/config\/statuses\/[0-9a-f]{40}$/.test(r.path)
        ? 201
        : 404,
    );
    const first = 'a'.repeat(40);
    remote.publish('deploy', synthopsTree('dev', { shop: [configMap('a', ns)] }), trailers(first));
    const agent = await startController(t, {
      repo: remote.fileUrl,
      branch: 'deploy',
      ns,
      notifier: (log) =>
        new Notifier(forge.url.replace(/\/hook$/, ''), 'github', log, 50, { token: TOKEN, deployRepo: remote.fileUrl }),
    });
    const states = (sha: string, context: string) =>
      forge.requests
        .filter((r) => r.path.endsWith(`/statuses/${sha}`) && r.body.context === context)
        .map((r) => r.body.state);
    await eventually('shop success', async () => states(first, 'synthops/dev/shop').includes('success') || undefined);
    assert.deepEqual(states(first, 'synthops/dev/shop'), ['pending', 'success']);

    // The next source commit: a broken app fails to apply (error), the good one succeeds.
    const second = 'b'.repeat(40);
    const bad = { apiVersion: 'example.synthops.dev/v1', kind: 'Nope', metadata: { name: 'n', namespace: ns } };
    remote.publish(
      'deploy',
      synthopsTree('dev', { shop: [configMap('a', ns), configMap('a2', ns)], broken: [bad] }),
      trailers(second),
    );
    agent.controller.request('webhook', true);
    await eventually(
      'second commit statuses',
      async () =>
        (states(second, 'synthops/dev/broken').includes('error') &&
          states(second, 'synthops/dev/shop').includes('success')) ||
        undefined,
    );
    assert.deepEqual(states(second, 'synthops/dev/broken'), ['pending', 'error']);
    assert.equal(forge.received.length, forge.requests.length, 'every status had the right path and token');
    await agent.notifier.flush();
    assert.ok(!JSON.stringify(agent.logs).includes(TOKEN), 'the token is never logged');
  });
});
