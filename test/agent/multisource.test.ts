/**
 * Several sources in one agent (issue 13, item 4): GitSources in the agent's namespace,
 * each run by its own controller under one supervisor. They share a namespace without
 * interfering (each prune touches its own objects only), a source whose remote is
 * unreachable or whose revision is broken says so in its own status while the others
 * keep converging, and a source that depends on another waits, with a visible reason,
 * until every app of the other is Ready.
 */
import * as assert from 'node:assert/strict';
import { spawnSync } from 'child_process';
import { createHmac } from 'crypto';
import * as path from 'path';
import { describe, test } from 'node:test';
import { KubeClient } from '../../src/kube/client';
import { Discovery } from '../../src/kube/discovery';
import { ObjectClient } from '../../src/kube/objects';
import { RECONCILE_REQUEST_ANNOTATION, SOURCE_LABEL } from '../../src/model/keys';
import { patchAppSync, requestToken } from '../../src/cli/reconcile';
import { StatusStore } from '../../src/agent/state/status-store';
import { toYaml } from '../../src/synth/serialize';
import { configMap, testClient } from '../harness/agent';
import { eventually, testKubeconfig, testNamespace } from '../harness/cluster';
import { REPO_ROOT } from '../harness/config-repo';
import { spawnAgent } from '../harness/agent-process';
import { TestRemote } from '../harness/git';
import { getGitSource, putGitSource, readyOf, startSupervisor } from '../harness/supervisor';
import { metricValue } from '../harness/controller';
import { serveGitHttp } from '../harness/git-http';

/** Plain-YAML files, one ConfigMap each, under `folder`. */
function yamlOf(ns: string, names: readonly string[], folder: string): Record<string, string> {
  return Object.fromEntries(names.map((n) => [`${folder}/${n}.yaml`, toYaml(configMap(n, ns))]));
}

async function liveNames(objects: ObjectClient, ns: string, app: string): Promise<string[]> {
  return (await objects.list('v1', 'ConfigMap', ns, `synthops.dev/app=${app}`)).map((m) => m.metadata.name).sort();
}

function waitReady(client: KubeClient, ns: string, name: string, reason = 'Succeeded', match?: RegExp) {
  return eventually(
    `GitSource ${name} ${reason}`,
    async () => {
      const r = await readyOf(client, ns, name);
      return r?.reason === reason && (!match || match.test(r.message)) ? r : undefined;
    },
    90_000,
  );
}

describe('agent: several sources in one agent', () => {
  test('GitSources sharing a namespace: each prunes only its own objects; an unreachable remote and a broken revision are reported in their own status while the others converge', async (t) => {
    const ns = await testNamespace(t);
    const client = await testClient(t);
    const objects = new ObjectClient(client, new Discovery(client));
    const alpha = TestRemote.create(t);
    const beta = TestRemote.create(t);
    const broken = TestRemote.create(t);
    alpha.publish('main', yamlOf(ns, ['a1', 'a2', 'a3', 'a4'], 'alpha'));
    beta.publish('main', yamlOf(ns, ['b1', 'b2', 'b3', 'b4'], 'beta'));
    broken.publish('main', { 'gamma/bad.yaml': 'kind: [unclosed\n' });
    await putGitSource(client, ns, 'alpha', { url: alpha.fileUrl, branch: 'main', path: 'alpha' });
    await putGitSource(client, ns, 'beta', { url: beta.fileUrl, branch: 'main', path: 'beta', layout: 'plain' });
    await putGitSource(client, ns, 'gone', { url: `file://${alpha.root}/no-such-repo.git`, branch: 'main' });
    await putGitSource(client, ns, 'gamma', { url: broken.fileUrl, branch: 'main', path: 'gamma' });
    const agent = await startSupervisor(t, { ns, intervalMs: 1000 });

    await waitReady(client, ns, 'alpha');
    await waitReady(client, ns, 'beta');
    const gone = await waitReady(client, ns, 'gone', 'SourceFailed');
    assert.match(gone.message, /no-such-repo/);
    await waitReady(client, ns, 'gamma', 'BuildFailed');
    assert.deepEqual(await liveNames(objects, ns, 'alpha'), ['a1', 'a2', 'a3', 'a4']);
    assert.deepEqual(await liveNames(objects, ns, 'beta'), ['b1', 'b2', 'b3', 'b4']);

    // Each source owns its AppSync and says which revision it is Ready at.
    const syncs = await new StatusStore(client, ns).list();
    assert.deepEqual(syncs.map((s) => [s.spec.app, s.metadata.labels?.[SOURCE_LABEL]]).sort(), [
      ['alpha', 'alpha'],
      ['beta', 'beta'],
    ]);
    assert.equal(await metricValue(agent.metrics, 'synthops_source_ready', { source: 'alpha' }), 1);
    assert.equal(await metricValue(agent.metrics, 'synthops_source_ready', { source: 'gone' }), 0);

    // alpha drops a1, beta gains b5: each source changes only its own, the failing ones still fail.
    const alphaRev = alpha.publish('main', yamlOf(ns, ['a2', 'a3', 'a4'], 'alpha'));
    const betaRev = beta.publish('main', yamlOf(ns, ['b1', 'b2', 'b3', 'b4', 'b5'], 'beta'));
    await waitReady(client, ns, 'alpha', 'Succeeded', new RegExp(alphaRev.slice(0, 12)));
    await waitReady(client, ns, 'beta', 'Succeeded', new RegExp(betaRev.slice(0, 12)));
    assert.deepEqual(await liveNames(objects, ns, 'alpha'), ['a2', 'a3', 'a4']);
    assert.deepEqual(await liveNames(objects, ns, 'beta'), ['b1', 'b2', 'b3', 'b4', 'b5']);
    assert.equal((await readyOf(client, ns, 'gone'))?.reason, 'SourceFailed');
    assert.equal((await readyOf(client, ns, 'gamma'))?.reason, 'BuildFailed');

    // The broken revision is fixed: that source converges too, the others are not touched.
    broken.publish('main', yamlOf(ns, ['g1'], 'gamma'));
    await waitReady(client, ns, 'gamma');
    assert.deepEqual(await liveNames(objects, ns, 'gamma'), ['g1']);
    assert.deepEqual(await liveNames(objects, ns, 'alpha'), ['a2', 'a3', 'a4']);
    assert.deepEqual(await liveNames(objects, ns, 'beta'), ['b1', 'b2', 'b3', 'b4', 'b5']);
    assert.ok(
      !agent.logs.some((l) => l.source === 'beta' && l.msg === 'app reconciled' && l.app !== 'beta'),
      'beta reconciles only its own app',
    );

    // `synthops reconcile alpha`: the annotation on alpha's AppSync is handled by alpha's
    // controller alone (the other sources watch the same AppSyncs and leave it be).
    const store = new StatusStore(client, ns);
    const sync = await store.get('default', 'alpha');
    assert.ok(sync);
    const token = requestToken();
    await patchAppSync(client, sync, { metadata: { annotations: { [RECONCILE_REQUEST_ANNOTATION]: token } } });
    await eventually(
      'alpha handled the request',
      async () => (await store.get('default', 'alpha'))?.status?.lastHandledReconcileAt === token || undefined,
      60_000,
    );
    const askedBy = agent.logs.filter((l) => l.msg === 'reconcile requested').map((l) => l.source);
    assert.deepEqual([...new Set(askedBy)], ['alpha']);
  });

  test('dependsOn across sources: the dependent waits, with DependencyNotReady naming the source, until its apps are Ready', async (t) => {
    const ns = await testNamespace(t);
    const client = await testClient(t);
    const objects = new ObjectClient(client, new Discovery(client));
    const base = TestRemote.create(t);
    const apps = TestRemote.create(t);
    apps.publish('main', yamlOf(ns, ['w1', 'w2'], 'web'));
    // base's branch does not exist yet: it cannot be Ready.
    await putGitSource(client, ns, 'base', { url: base.fileUrl, branch: 'main', path: 'base' });
    await putGitSource(client, ns, 'web', { url: apps.fileUrl, branch: 'main', path: 'web', dependsOn: ['base'] });
    await startSupervisor(t, { ns, intervalMs: 1000 });

    const waiting = await waitReady(client, ns, 'web', 'DependencyNotReady', /"base": SourceFailed/);
    assert.match(waiting.message, /^waiting for source "base": SourceFailed: .*branch main/);
    assert.equal((await readyOf(client, ns, 'base'))?.reason, 'SourceFailed');
    assert.deepEqual(await liveNames(objects, ns, 'web'), [], 'nothing of the dependent is applied');
    assert.equal(await new StatusStore(client, ns).get('default', 'web'), undefined);

    base.publish('main', yamlOf(ns, ['b1'], 'base'));
    await waitReady(client, ns, 'base');
    await waitReady(client, ns, 'web');
    assert.deepEqual(await liveNames(objects, ns, 'web'), ['w1', 'w2']);
    assert.deepEqual(await liveNames(objects, ns, 'base'), ['b1']);

    // Two sources that wait for each other are told so, and apply nothing.
    const loop = TestRemote.create(t);
    loop.publish('main', { ...yamlOf(ns, ['p1'], 'ping'), ...yamlOf(ns, ['q1'], 'pong') });
    await putGitSource(client, ns, 'ping', { url: loop.fileUrl, branch: 'main', path: 'ping', dependsOn: ['pong'] });
    await putGitSource(client, ns, 'pong', { url: loop.fileUrl, branch: 'main', path: 'pong', dependsOn: ['ping'] });
    await waitReady(client, ns, 'ping', 'DependencyNotReady', /dependsOn cycle: ping -> pong -> ping/);
    await waitReady(client, ns, 'pong', 'DependencyNotReady', /dependsOn cycle: pong -> ping -> pong/);
    assert.deepEqual(await liveNames(objects, ns, 'ping'), []);
    assert.deepEqual(await liveNames(objects, ns, 'pong'), []);

    // `synthops sources`: every GitSource with its readiness, as a table and as JSON; exit 1 while one is not Ready.
    const cli = (...args: string[]) =>
      spawnSync(process.execPath, [path.join(REPO_ROOT, 'bin', 'synthops'), 'sources', '-n', ns, ...args], {
        encoding: 'utf8',
        env: { ...process.env, KUBECONFIG: kubeconfig },
      });
    const kubeconfig = await testKubeconfig();
    const json = cli('-o', 'json');
    assert.equal(json.status, 1, json.stderr);
    const doc = JSON.parse(json.stdout);
    assert.equal(doc.kind, 'SourceStatusList');
    assert.deepEqual(
      doc.items.map((i: { name: string; ready: string; reason: string }) => [i.name, i.ready, i.reason]),
      [
        ['base', 'True', 'Succeeded'],
        ['ping', 'False', 'DependencyNotReady'],
        ['pong', 'False', 'DependencyNotReady'],
        ['web', 'True', 'Succeeded'],
      ],
    );
    assert.deepEqual(doc.items.find((i: { name: string }) => i.name === 'web').dependsOn, ['base']);
    const tableOut = cli().stdout.trimEnd().split('\n');
    assert.match(tableOut[0], /^NAME\s+REVISION\s+SUSPENDED\s+READY\s+MESSAGE\s+SINCE$/);
    assert.equal(tableOut.length, 5);
    assert.match(tableOut.find((l) => l.startsWith('ping'))!, /False\s+DependencyNotReady: dependsOn cycle/);
  });

  test('credentials from the Secret a GitSource names (missing: CredentialsNotFound; created: the source starts); a webhook reconciles only the source of its repository', async (t) => {
    const ns = await testNamespace(t);
    const client = await testClient(t);
    const objects = new ObjectClient(client, new Discovery(client));
    const priv = TestRemote.create(t);
    const pub = TestRemote.create(t);
    const http = await serveGitHttp(t, priv.root, 'tok-123');
    priv.publish('main', yamlOf(ns, ['p1'], 'priv'));
    pub.publish('main', yamlOf(ns, ['q1'], 'pub'));
    await putGitSource(client, ns, 'priv', {
      url: http.url('deploy.git'),
      branch: 'main',
      path: 'priv',
      secretRef: { name: 'priv-git' },
    });
    await putGitSource(client, ns, 'pub', { url: pub.fileUrl, branch: 'main', path: 'pub' });
    const secret = 'hook-secret';
    const agent = await startSupervisor(t, { ns, webhookSecret: secret });
    const missing = await waitReady(client, ns, 'priv', 'CredentialsNotFound');
    assert.match(missing.message, /Secret "priv-git" not found/);
    await waitReady(client, ns, 'pub');

    await client.request('POST', `/api/v1/namespaces/${ns}/secrets`, {
      body: { apiVersion: 'v1', kind: 'Secret', metadata: { name: 'priv-git' }, stringData: { token: 'tok-123' } },
    });
    const first = await waitReady(client, ns, 'priv');
    assert.deepEqual(await liveNames(objects, ns, 'priv'), ['p1']);
    assert.ok(http.requests.every((r) => r.endsWith('auth=ok') || r.endsWith('auth=none')));
    assert.ok(!JSON.stringify(agent.logs).includes('tok-123'), 'the token is never logged');

    // New commits on both; the webhook names pub's repository: only pub fetches.
    const privBefore = (await getGitSource(client, ns, 'priv'))?.status?.lastFetchedRevision;
    priv.publish('main', yamlOf(ns, ['p1', 'p2'], 'priv'));
    const pubRev = pub.publish('main', yamlOf(ns, ['q1', 'q2'], 'pub'));
    const body = Buffer.from(JSON.stringify({ ref: 'refs/heads/main', repository: { clone_url: `${pub.fileUrl}/` } }));
    const res = await fetch(`${agent.url}/webhook`, {
      method: 'POST',
      body,
      headers: { 'X-Hub-Signature-256': `sha256=${createHmac('sha256', secret).update(body).digest('hex')}` },
    });
    assert.equal(res.status, 202);
    await waitReady(client, ns, 'pub', 'Succeeded', new RegExp(pubRev.slice(0, 12)));
    assert.deepEqual(await liveNames(objects, ns, 'pub'), ['q1', 'q2']);
    assert.equal((await getGitSource(client, ns, 'priv'))?.status?.lastFetchedRevision, privBefore);
    assert.deepEqual(await liveNames(objects, ns, 'priv'), ['p1'], 'priv waits for its own trigger');
    assert.ok(agent.logs.some((l) => l.msg === 'webhook routed' && JSON.stringify(l.sources) === '["pub"]'));
    assert.equal(first.status, 'True');
  });

  test('`synthops agent` without --repo runs the GitSources of its namespace, is ready, and stops on SIGTERM', async (t) => {
    const ns = await testNamespace(t);
    const client = await testClient(t);
    const objects = new ObjectClient(client, new Discovery(client));
    const remote = TestRemote.create(t);
    remote.publish('main', yamlOf(ns, ['c1'], 'cli'));
    await putGitSource(client, ns, 'cli', { url: remote.fileUrl, branch: 'main', path: 'cli' });
    const { child, logs, exit } = await spawnAgent(t, ['--agent-namespace', ns, '--namespace', ns]);
    await waitReady(client, ns, 'cli');
    assert.deepEqual(await liveNames(objects, ns, 'cli'), ['c1']);
    const port = logs.find((l) => l.msg === 'agent started')?.port;
    const ready = await fetch(`http://127.0.0.1:${String(port)}/readyz`);
    assert.equal(ready.status, 200);
    assert.match(await ready.text(), /1 GitSource/);
    const metrics = await (await fetch(`http://127.0.0.1:${String(port)}/metrics`)).text();
    assert.match(metrics, /synthops_source_ready\{source="cli"\} 1/);
    child.kill('SIGTERM');
    assert.equal(await exit, 0);
    assert.ok(logs.some((l) => l.msg === 'stopped'));
  });
});
