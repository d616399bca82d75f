/**
 * The agent with --verify-signatures against the real apiserver: a signed tip is
 * applied; a force-pushed unsigned tip is not (SourceFailed naming why, the last good
 * revision kept, an alert), and neither is one signed by a key not allowed.
 */
import * as assert from 'node:assert/strict';
import { execFileSync } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { describe, test } from 'node:test';
import { StatusStore } from '../../src/agent/state/status-store';
import { SignatureError } from '../../src/git/signing';
import { refOf } from '../../src/model/manifest';
import { configMap, runOnce, synthopsTree, testClient, testObjects } from '../harness/agent';
import { eventually, testNamespace } from '../harness/cluster';
import { startController } from '../harness/controller';
import { TestRemote } from '../harness/git';
import { startReceiver } from '../harness/receiver';

function keys(): { dir: string; ci: string; rogue: string; allowed: string } {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'synthops-sigkeys-'));
  for (const k of ['ci', 'rogue'])
    execFileSync('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-C', k, '-f', path.join(dir, k)]);
  const allowed = path.join(dir, 'allowed_signers');
  fs.writeFileSync(
    allowed,
    `ci@synthops ${fs.readFileSync(path.join(dir, 'ci.pub'), 'utf8').trim().split(' ').slice(0, 2).join(' ')}\n`,
  );
  return { dir, ci: path.join(dir, 'ci'), rogue: path.join(dir, 'rogue'), allowed };
}

describe('agent: signed deploy commits', () => {
  test('--once applies a signed tip and refuses an unsigned one before any request', async (t) => {
    const ns = await testNamespace(t);
    const k = keys();
    t.after(() => fs.rmSync(k.dir, { recursive: true, force: true }));
    const remote = TestRemote.create(t);
    remote.publish('deploy', synthopsTree('dev', { shop: [configMap('a', ns)] }), 'signed', {
      format: 'ssh',
      key: k.ci,
    });
    const verify = { allowedSignersFile: k.allowed };
    assert.equal((await runOnce(t, { repo: remote.fileUrl, branch: 'deploy', ns, verify })).result.converged, true);

    const unsigned = remote.forcePublish(
      'deploy',
      synthopsTree('dev', { shop: [configMap('a', ns), configMap('planted', ns)] }),
    );
    const client = await testClient(t);
    const before = { ...client.counts };
    await assert.rejects(
      runOnce(t, { repo: remote.fileUrl, branch: 'deploy', ns, verify, client }),
      (e: unknown) => e instanceof SignatureError && e.check.sha === unsigned && e.check.verdict === 'no-signature',
    );
    assert.deepEqual(client.counts, before, 'no request reached the cluster');
    assert.equal(await (await testObjects(t)).get(refOf(configMap('planted', ns))), undefined);
  });

  test('the long-running agent keeps the last good revision and says who signed (or that nobody did)', async (t) => {
    const ns = await testNamespace(t);
    const k = keys();
    t.after(() => fs.rmSync(k.dir, { recursive: true, force: true }));
    const remote = TestRemote.create(t);
    const receiver = await startReceiver(t);
    const good = remote.publish('deploy', synthopsTree('dev', { shop: [configMap('a', ns)] }), 'signed', {
      format: 'ssh',
      key: k.ci,
    });
    const agent = await startController(t, {
      repo: remote.fileUrl,
      branch: 'deploy',
      ns,
      notifyUrl: receiver.url,
      retryBaseMs: 60_000,
      verify: { allowedSignersFile: k.allowed },
    });
    const store = new StatusStore(await testClient(t), ns);
    const ready = async () => (await store.get('dev', 'shop'))?.status?.conditions?.find((c) => c.type === 'Ready');
    await eventually('converged', async () => ((await ready())?.status === 'True' ? true : undefined));

    remote.publish(
      'deploy',
      synthopsTree('dev', { shop: [configMap('a', ns), configMap('rogue', ns)] }),
      'signed by a key not allowed',
      { format: 'ssh', key: k.rogue },
    );
    agent.controller.request('test', true);
    const failed = await eventually('source failure in status', async () => {
      const r = await ready();
      return r?.reason === 'SourceFailed' ? r : undefined;
    });
    assert.equal(failed.status, 'False');
    assert.match(failed.message, /is not applied: signed by key SHA256:\S+, which is not in the allowed signers/);
    const s = await store.get('dev', 'shop');
    assert.equal(s?.status?.lastAppliedRevision, good, 'the last good revision stays');
    assert.equal(await (await testObjects(t)).get(refOf(configMap('rogue', ns))), undefined);
    await eventually('alerted', async () =>
      receiver.received.some((n) => n.kind === 'SourceFailed' && /not in the allowed signers/.test(String(n.message)))
        ? true
        : undefined,
    );

    // A signed fix is applied again.
    remote.publish('deploy', synthopsTree('dev', { shop: [configMap('a', ns), configMap('b', ns)] }), 'signed fix', {
      format: 'ssh',
      key: k.ci,
    });
    agent.controller.request('test', true);
    await eventually('the signed fix applied', async () =>
      (await (await testObjects(t)).get(refOf(configMap('b', ns)))) ? true : undefined,
    );
  });
});
