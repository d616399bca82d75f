/**
 * Safety under repetition and sharing (issue 18, defects 1 and 2): a held prune stays
 * held until the revision changes what it removes or the prune is allowed, and
 * sources sharing one agent namespace own their inventories and AppSyncs: they never
 * see each other's apps as removed, and two claiming one app is a conflict.
 */
import { spawnSync } from 'child_process';
import * as assert from 'node:assert/strict';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { describe, test, TestContext } from 'node:test';
import { KubeClient } from '../../src/kube/client';
import { Discovery } from '../../src/kube/discovery';
import { ObjectClient } from '../../src/kube/objects';
import { INVENTORY_DATA_KEY, Inventory, inventoryName } from '../../src/model/inventory';
import { INVENTORY_ENV_LABEL, INVENTORY_LABEL, SOURCE_LABEL } from '../../src/model/keys';
import { Manifest, ObjectRef, refOf } from '../../src/model/manifest';
import { defaultSourceName } from '../../src/model/source';
import { StatusStore } from '../../src/agent/state/status-store';
import { toYaml } from '../../src/synth/serialize';
import { configMap, runOnce, testClient } from '../harness/agent';
import { deleteNamespaces, eventually, testKubeconfig, testNamespace } from '../harness/cluster';
import { startController } from '../harness/controller';
import { TestRemote } from '../harness/git';
import { SYNTHOPS_BIN, agentOnceArgs } from '../harness/once-args';

const A = ['a1', 'a2', 'a3', 'a4'];
const B = ['b1', 'b2', 'b3', 'b4'];

/** Plain-YAML files, one ConfigMap each, under `folder`. */
function yamlOf(ns: string, names: readonly string[], folder = ''): Record<string, string> {
  return Object.fromEntries(names.map((n) => [`${folder}${n}.yaml`, toYaml(configMap(n, ns))]));
}

function objectsOf(client: KubeClient): ObjectClient {
  return new ObjectClient(client, new Discovery(client));
}

/** Names of the ConfigMaps in `ns` that belong to an app (`app`, or any). */
async function liveNames(objects: ObjectClient, ns: string, app?: string): Promise<string[]> {
  return (await objects.list('v1', 'ConfigMap', ns, app ? `synthops.dev/app=${app}` : 'synthops.dev/app'))
    .map((m) => m.metadata.name)
    .sort();
}

function inventoryRef(ns: string, app: string, env = 'default'): ObjectRef {
  return { apiVersion: 'v1', kind: 'ConfigMap', namespace: ns, name: inventoryName(env, app) };
}

async function record(
  objects: ObjectClient,
  ns: string,
  app: string,
): Promise<{ cm: Manifest; inv: Inventory } | undefined> {
  const cm = await objects.get(inventoryRef(ns, app));
  return cm ? { cm, inv: JSON.parse((cm.data as Record<string, string>)[INVENTORY_DATA_KEY]) as Inventory } : undefined;
}

function tempDir(t: TestContext): string {
  const d = fs.mkdtempSync(path.join(os.tmpdir(), 'synthops-src-'));
  t.after(() => fs.rmSync(d, { recursive: true, force: true }));
  return d;
}

/** `synthops agent --once` as a new process (the built CLI). */
async function cli(args: string[]): Promise<{ status: number | null; out: string }> {
  const r = spawnSync(process.execPath, [SYNTHOPS_BIN, ...args, '--kubeconfig', await testKubeconfig()], {
    encoding: 'utf8',
  });
  return { status: r.status, out: r.stdout + r.stderr };
}

describe('agent: a held prune stays held', () => {
  test('a rename of all objects is held on every run (same commit, new process, long-running agent) until an Allow-Prune commit', async (t) => {
    const ns = await testNamespace(t);
    const remote = TestRemote.create(t);
    const objects = objectsOf(await testClient(t));
    const run = () => runOnce(t, { repo: remote.fileUrl, branch: 'main', ns, app: 'cfg' });

    remote.publish('main', yamlOf(ns, A));
    assert.equal((await run()).result.converged, true);
    assert.deepEqual(
      (await record(objects, ns, 'cfg'))!.inv.converged!.map((r) => r.name),
      A,
      'converged set recorded',
    );

    remote.publish('main', yamlOf(ns, B), 'rename a* to b*');
    for (const attempt of ['the first run', 'a second run of the same commit', 'a third run']) {
      const r = (await run()).result;
      const cfg = r.apps[0];
      assert.equal(r.converged, false, attempt);
      assert.deepEqual([cfg.pruned.length, cfg.held.length], [0, 4], `${attempt}: ${JSON.stringify(cfg)}`);
      assert.match(cfg.held[0], /removes all 4 objects of app "cfg"/);
      assert.deepEqual(await liveNames(objects, ns), [...A, ...B], `${attempt}: nothing pruned`);
    }
    const held = (await record(objects, ns, 'cfg'))!.inv;
    assert.deepEqual(
      held.objects.map((r) => r.name),
      [...A, ...B],
      'the inventory holds old and new',
    );
    assert.deepEqual(
      held.converged!.map((r) => r.name),
      A,
      'the guards still compare with the converged set',
    );

    // A new agent process, with a checkout of its own.
    const proc = await cli(
      agentOnceArgs({
        repo: remote.fileUrl,
        branch: 'main',
        app: 'cfg',
        namespace: ns,
        timeout: '60s',
        workdir: tempDir(t),
      }),
    );
    assert.equal(proc.status, 1, proc.out);
    assert.match(proc.out, /^cfg\s+Applied\s+0\s+0\s+4\s+0\s+4\s/m);
    assert.deepEqual(await liveNames(objects, ns), [...A, ...B]);

    // The long-running agent: its startup, interval and webhook reconciles hold too.
    const agent = await startController(t, {
      repo: remote.fileUrl,
      branch: 'main',
      ns,
      load: { app: 'cfg' },
      intervalMs: 1000,
    });
    await eventually('three reconciles', async () => (agent.controller.cycles >= 3 ? true : undefined), 60_000);
    const before = agent.controller.cycles;
    agent.controller.request('webhook', true);
    await eventually(
      'the webhook reconcile',
      async () => (agent.controller.cycles > before ? true : undefined),
      30_000,
    );
    await agent.controller.stop(10_000);
    assert.deepEqual(await liveNames(objects, ns), [...A, ...B], 'the long-running agent pruned nothing');
    const sync = await new StatusStore(await testClient(t), ns).get('default', 'cfg');
    assert.equal(sync?.status?.held?.length, 4, JSON.stringify(sync?.status));

    remote.publish('main', yamlOf(ns, B), 'drop a*\n\nAllow-Prune: cfg');
    const allowed = (await run()).result;
    assert.equal(allowed.converged, true, JSON.stringify(allowed.apps));
    assert.deepEqual(
      allowed.apps[0].pruned.sort(),
      A.map((n) => `ConfigMap ${ns}/${n}`),
    );
    assert.deepEqual(await liveNames(objects, ns), B);
    const after = (await record(objects, ns, 'cfg'))!.inv;
    assert.deepEqual([after.objects.map((r) => r.name), after.converged!.map((r) => r.name)], [B, B]);
  });

  test('a revision that removes less than half of the converged set is no longer held', async (t) => {
    const ns = await testNamespace(t);
    const remote = TestRemote.create(t);
    const objects = objectsOf(await testClient(t));
    const run = (client?: KubeClient) => runOnce(t, { repo: remote.fileUrl, branch: 'main', ns, app: 'cfg', client });
    const counting = async () => KubeClient.fromKubeconfig(await testKubeconfig());
    const first = await counting();
    t.after(() => first.close());
    remote.publish('main', yamlOf(ns, A));
    assert.equal((await run(first)).result.converged, true);
    assert.deepEqual([first.counts.POST, first.counts.PUT], [1, undefined], 'a new app: its inventory is written once');
    const adding = await counting();
    t.after(() => adding.close());
    remote.publish('main', yamlOf(ns, [...A, 'b1']));
    assert.equal((await run(adding)).result.converged, true);
    assert.deepEqual(
      [adding.counts.POST, adding.counts.PUT],
      [undefined, 1],
      'a reconcile that adds objects writes its inventory once',
    );
    remote.publish('main', yamlOf(ns, ['a1', 'b1']));
    assert.equal((await run()).result.apps[0].held.length, 3, 'three of five go: held');
    // Keeps three of the five that converged: a3 and a4 go.
    remote.publish('main', yamlOf(ns, ['a1', 'a2', 'b1']));
    const r = (await run()).result;
    assert.equal(r.converged, true, JSON.stringify(r.apps));
    assert.deepEqual(r.apps[0].pruned.sort(), [`ConfigMap ${ns}/a3`, `ConfigMap ${ns}/a4`]);
    assert.deepEqual(await liveNames(objects, ns), ['a1', 'a2', 'b1']);
  });

  test('a reconcile that fails after its first writes keeps the converged set it had', async (t) => {
    const ns = await testNamespace(t);
    const extra = `${ns}-x`;
    t.after(() => deleteNamespaces([extra]));
    const remote = TestRemote.create(t);
    const objects = objectsOf(await testClient(t));
    const run = () => runOnce(t, { repo: remote.fileUrl, branch: 'main', ns, app: 'cfg' });
    remote.publish('main', yamlOf(ns, ['a1', 'a2']));
    assert.equal((await run()).result.converged, true);
    // The Namespace is written, then the ConfigMap in it fails its validation (a number as data).
    remote.publish('main', {
      ...yamlOf(ns, ['a1', 'a2']),
      'x.yaml': toYaml({ apiVersion: 'v1', kind: 'Namespace', metadata: { name: extra } }),
      'bad.yaml': `apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: bad\n  namespace: ${extra}\ndata:\n  k: 1\n`,
    });
    const failed = (await run()).result.apps[0];
    assert.equal(failed.status, 'Failed');
    assert.equal(failed.problems[0].kind, 'validation-after-foundation', JSON.stringify(failed.problems));
    const { inv } = (await record(objects, ns, 'cfg'))!;
    assert.deepEqual(inv.objects.map((r) => r.name).sort(), ['a1', 'a2', extra], 'what was written is recorded');
    assert.deepEqual(
      inv.converged?.map((r) => r.name),
      ['a1', 'a2'],
      'the converged set is the one from before',
    );
  });
});

describe('agent: sources own their inventories and AppSyncs', () => {
  test('two folders of one repo in one agent namespace: neither sees the other as removed, even with --allow-prune *', async (t) => {
    const ns = await testNamespace(t);
    const betaNs = `${ns}-beta`;
    t.after(() => deleteNamespaces([betaNs]));
    const remote = TestRemote.create(t);
    const objects = objectsOf(await testClient(t));
    const betaFiles = {
      'beta/namespace.yaml': toYaml({ apiVersion: 'v1', kind: 'Namespace', metadata: { name: betaNs } }),
      'beta/b1.yaml': toYaml(configMap('b1', betaNs)),
    };
    remote.publish('main', { ...yamlOf(ns, ['a1', 'a2'], 'alpha/'), ...betaFiles });
    const run = (folder: string, allowPrune?: string[]) =>
      runOnce(t, { repo: remote.fileUrl, branch: 'main', ns, path: folder, allowPrune });

    for (const folder of ['alpha', 'beta']) assert.equal((await run(folder)).result.converged, true, folder);
    for (const folder of ['alpha', 'beta', 'alpha']) {
      const r = (await run(folder, ['*'])).result;
      assert.deepEqual(
        r.apps.map((a) => [a.app, a.outcome, a.pruned.length, a.held.length]),
        [[folder, 'Converged', 0, 0]],
        `${folder} sees only its own app`,
      );
    }
    assert.ok(
      await objects.get({ apiVersion: 'v1', kind: 'Namespace', name: betaNs }),
      "beta's Namespace is still there",
    );
    assert.deepEqual(await liveNames(objects, ns), ['a1', 'a2']);
    for (const folder of ['alpha', 'beta']) {
      const { cm, inv } = (await record(objects, ns, folder))!;
      const name = defaultSourceName({ url: remote.fileUrl, branch: 'main', path: folder });
      assert.equal(cm.metadata.labels?.[SOURCE_LABEL], name);
      assert.deepEqual(inv.source, { name, url: remote.fileUrl, branch: 'main', path: folder });
    }
  });

  test('two repos with the default agent namespace, as two agent processes; a third claiming the same app is a conflict naming both', async (t) => {
    const ns = await testNamespace(t);
    const [remoteA, remoteB, remoteC] = [TestRemote.create(t), TestRemote.create(t), TestRemote.create(t)];
    // The agent namespace is shared with whatever else runs: app names of this test only.
    const [appA, appB] = [`${ns}-a`, `${ns}-b`];
    const client = await testClient(t);
    const objects = objectsOf(client);
    t.after(async () => {
      for (const app of [appA, appB])
        await client.deleteIfExists(`/api/v1/namespaces/synthops-system/configmaps/${inventoryName('default', app)}`);
    });
    remoteA.publish('main', yamlOf(ns, ['a1', 'a2']));
    remoteB.publish('main', yamlOf(ns, ['b1']));
    remoteC.publish('main', { 'a1.yaml': toYaml(configMap('a1', ns, { k: 'from C' })) });
    const agent = (remote: TestRemote, app: string, ...extra: string[]) =>
      cli(
        agentOnceArgs({
          repo: remote.fileUrl,
          branch: 'main',
          app,
          namespace: ns,
          // The inventories stay in synthops-system: the agent's own default.
          agentNamespace: null,
          timeout: '60s',
          workdir: tempDir(t),
          extra,
        }),
      );

    const first = await agent(remoteA, appA);
    assert.equal(first.status, 0, first.out);
    const nameA = defaultSourceName({ url: remoteA.fileUrl, branch: 'main' });
    assert.match(first.out, new RegExp(`\\(source ${nameA}\\)`));
    assert.equal((await agent(remoteB, appB)).status, 0);
    const again = await agent(remoteA, appA, '--allow-prune', '*');
    assert.equal(again.status, 0, again.out);
    assert.doesNotMatch(again.out, new RegExp(appB), 'B is invisible to A');
    assert.deepEqual(await liveNames(objects, ns), ['a1', 'a2', 'b1']);

    const invA = inventoryRef('synthops-system', appA);
    const versionA = (await objects.get(invA))?.metadata.resourceVersion;
    const conflict = await agent(remoteC, appA, '--allow-prune', '*');
    assert.equal(conflict.status, 1, conflict.out);
    const nameC = defaultSourceName({ url: remoteC.fileUrl, branch: 'main' });
    assert.match(
      conflict.out,
      new RegExp(
        `app "${appA}" \\(environment default\\) belongs to source "${nameA}" \\(${remoteA.fileUrl}, branch main\\), and source "${nameC}" claims it too: nothing of it was written or pruned`,
      ),
    );
    assert.equal((await objects.get(invA))?.metadata.resourceVersion, versionA, "A's inventory untouched");
    assert.deepEqual(
      ((await objects.get(refOf(configMap('a1', ns)))) as { data?: Record<string, string> }).data,
      { k: 'v' },
      "A's object untouched",
    );
    assert.deepEqual(await liveNames(objects, ns), ['a1', 'a2', 'b1'], 'nothing pruned');
  });

  test('a source that moves keeps its inventory; what a source that no longer runs left is released or adopted', async (t) => {
    const ns = await testNamespace(t);
    const remote = TestRemote.create(t);
    const client = await testClient(t);
    const objects = objectsOf(client);
    remote.publish('main', yamlOf(ns, ['w1', 'w2']));
    const run = (repo: string, source?: string) => runOnce(t, { repo, branch: 'main', ns, app: 'web', source });
    assert.equal((await run(remote.fileUrl, 'team-web')).result.converged, true);

    // Same name, new URL (the repo moved to another host): nothing to create, prune or hold.
    const moved = await remote.serve();
    const r = (await run(moved, 'team-web')).result;
    assert.equal(r.converged, true, JSON.stringify(r.apps));
    assert.deepEqual(
      [r.apps[0].created, r.apps[0].pruned, r.apps[0].held, r.apps[0].unchanged.length],
      [[], [], [], 2],
    );
    const { cm, inv } = (await record(objects, ns, 'web'))!;
    assert.equal(cm.metadata.labels?.[SOURCE_LABEL], 'team-web');
    assert.equal(inv.source?.url, moved, 'the record says where the source reads from now');

    // Without the name, the derived one is another source: a conflict, nothing written.
    const derived = defaultSourceName({ url: moved, branch: 'main' });
    const conflict = (await run(moved)).result.apps[0];
    assert.equal(conflict.status, 'Failed');
    assert.equal(conflict.problems[0].kind, 'source-conflict');
    assert.match(conflict.why, new RegExp(`belongs to source "team-web" .* source "${derived}" claims it too`));

    // team-web no longer runs: release its records, and the first source claiming web adopts them.
    const release = await cli(['inventory', 'release', '--source', 'team-web', '--agent-namespace', ns]);
    assert.equal(release.status, 0, release.out);
    assert.match(release.out, /^inventory default\/web \(2 objects\): source "team-web" -> no source/m);
    const adopted = (await run(moved)).result;
    assert.equal(adopted.converged, true, JSON.stringify(adopted.apps));
    assert.deepEqual([adopted.apps[0].created, adopted.apps[0].unchanged.length], [[], 2]);
    assert.equal((await record(objects, ns, 'web'))!.cm.metadata.labels?.[SOURCE_LABEL], derived);
    const nothing = await cli(['inventory', 'release', '--source', 'team-web', '--agent-namespace', ns]);
    assert.equal(nothing.status, 1, 'a name that owns nothing is not a silent success');

    // Adopt: another source takes over web, which it does not have in Git: held as a
    // whole app (nothing pruned) until allowed.
    const other = TestRemote.create(t);
    other.publish('main', yamlOf(ns, ['x1']));
    const adopt = await cli(['inventory', 'adopt', '--from', derived, '--source', 'platform', '--agent-namespace', ns]);
    assert.equal(adopt.status, 0, adopt.out);
    const list = await cli(['inventory', 'list', '--agent-namespace', ns]);
    assert.match(list.out, /^default\s+web\s+platform\s+2\s/m);
    const runOther = () => runOnce(t, { repo: other.fileUrl, branch: 'main', ns, app: 'api', source: 'platform' });
    const heldWhole = (await runOther()).result;
    const web = heldWhole.apps.find((a) => a.app === 'web')!;
    assert.deepEqual([web.held.length, web.pruned.length], [2, 0]);
    assert.match(web.held[0], /app "web" is no longer in the revision/);
    assert.deepEqual(await liveNames(objects, ns, 'web'), ['w1', 'w2']);
    other.publish('main', yamlOf(ns, ['x1']), 'retire web\n\nAllow-Prune: web');
    const pruned = (await runOther()).result;
    assert.deepEqual(pruned.apps.find((a) => a.app === 'web')!.pruned.sort(), [
      `ConfigMap ${ns}/w1`,
      `ConfigMap ${ns}/w2`,
    ]);
    assert.equal(await record(objects, ns, 'web'), undefined, 'its inventory is gone');
  });

  test('an inventory written before sources is adopted by the first source that claims its app, and invisible to the others', async (t) => {
    const ns = await testNamespace(t);
    const remote = TestRemote.create(t);
    const client = await testClient(t);
    const objects = objectsOf(client);
    remote.publish('main', { ...yamlOf(ns, ['o1', 'o2'], 'old/'), ...yamlOf(ns, ['n1'], 'new/') });
    const run = (folder: string, allowPrune?: string[]) =>
      runOnce(t, { repo: remote.fileUrl, branch: 'main', ns, path: folder, allowPrune });
    assert.equal((await run('old')).result.converged, true);
    // What the previous version wrote: no source label, no converged set, no source in the record.
    const legacy = {
      app: 'old',
      env: 'default',
      revision: 'r0',
      objects: ['o1', 'o2'].map((n) => refOf(configMap(n, ns))),
    };
    await client.request('PUT', `/api/v1/namespaces/${ns}/configmaps/${inventoryName('default', 'old')}`, {
      body: {
        apiVersion: 'v1',
        kind: 'ConfigMap',
        metadata: {
          name: inventoryName('default', 'old'),
          namespace: ns,
          labels: { [INVENTORY_LABEL]: 'true', [INVENTORY_ENV_LABEL]: 'default' },
        },
        data: { [INVENTORY_DATA_KEY]: JSON.stringify(legacy) },
      },
    });

    const unrelated = (await run('new', ['*'])).result;
    assert.deepEqual(
      unrelated.apps.map((a) => a.app),
      ['new'],
      'a source that does not claim it does not see it',
    );
    assert.equal(
      (await record(objects, ns, 'old'))!.cm.metadata.labels?.[SOURCE_LABEL],
      undefined,
      'and does not take it',
    );
    assert.deepEqual(await liveNames(objects, ns, 'old'), ['o1', 'o2']);

    const claim = (await run('old')).result;
    assert.equal(claim.converged, true, JSON.stringify(claim.apps));
    assert.deepEqual([claim.apps[0].created, claim.apps[0].pruned, claim.apps[0].unchanged.length], [[], [], 2]);
    const { cm, inv } = (await record(objects, ns, 'old'))!;
    assert.equal(
      cm.metadata.labels?.[SOURCE_LABEL],
      defaultSourceName({ url: remote.fileUrl, branch: 'main', path: 'old' }),
    );
    assert.deepEqual(
      inv.converged?.map((r) => r.name),
      ['o1', 'o2'],
    );
  });

  test('long-running agents sharing a namespace write only their own AppSyncs; a third claiming an app writes nothing of it', async (t) => {
    const ns = await testNamespace(t);
    const remote = TestRemote.create(t);
    const rival = TestRemote.create(t);
    const client = await testClient(t);
    const objects = objectsOf(client);
    const store = new StatusStore(client, ns);
    remote.publish('main', { ...yamlOf(ns, ['a1'], 'alpha/'), ...yamlOf(ns, ['b1'], 'beta/') });
    rival.publish('main', {
      'alpha/a1.yaml': toYaml(configMap('a1', ns, { k: 'rival' })),
      'alpha/r1.yaml': toYaml(configMap('r1', ns)),
    });
    const alpha = await startController(t, {
      repo: remote.fileUrl,
      branch: 'main',
      ns,
      load: { path: 'alpha' },
      intervalMs: 1000,
    });
    const beta = await startController(t, {
      repo: remote.fileUrl,
      branch: 'main',
      ns,
      load: { path: 'beta' },
      intervalMs: 1000,
    });
    const ready = (app: string) =>
      eventually(
        `${app} ready`,
        async () =>
          (await store.get('default', app))?.status?.conditions?.find((c) => c.type === 'Ready')?.status === 'True'
            ? true
            : undefined,
        60_000,
      );
    await ready('alpha');
    await ready('beta');
    await eventually(
      'a few full reconciles each',
      async () => (alpha.controller.cycles >= 3 && beta.controller.cycles >= 3 ? true : undefined),
      60_000,
    );
    const syncs = await store.list();
    assert.deepEqual(syncs.map((s) => [s.spec.app, s.metadata.labels?.[SOURCE_LABEL]]).sort(), [
      ['alpha', defaultSourceName({ url: remote.fileUrl, branch: 'main', path: 'alpha' })],
      ['beta', defaultSourceName({ url: remote.fileUrl, branch: 'main', path: 'beta' })],
    ]);
    for (const s of syncs)
      assert.equal(
        s.status?.conditions?.find((c) => c.type === 'Ready')?.status,
        'True',
        `${s.spec.app}: ${JSON.stringify(s.status?.conditions)}`,
      );
    assert.ok(
      !alpha.logs.some((l) => l.app === 'beta') && !beta.logs.some((l) => l.app === 'alpha'),
      'neither reconciles the other',
    );

    const third = await startController(t, {
      repo: rival.fileUrl,
      branch: 'main',
      ns,
      load: { path: 'alpha' },
      intervalMs: 1000,
    });
    await eventually(
      'the rival reconciled twice',
      async () => (third.controller.cycles >= 2 ? true : undefined),
      60_000,
    );
    const logged = third.logs.find((l) => l.msg === 'app reconciled' && l.app === 'alpha');
    assert.match(
      String(logged?.why),
      /belongs to source ".*" \(file:.*, branch main, path alpha\), and source ".*" claims it too/,
    );
    assert.equal(
      (await store.get('default', 'alpha'))?.metadata.labels?.[SOURCE_LABEL],
      defaultSourceName({ url: remote.fileUrl, branch: 'main', path: 'alpha' }),
    );
    assert.equal(
      (await store.get('default', 'alpha'))?.status?.conditions?.find((c) => c.type === 'Ready')?.status,
      'True',
      "alpha's status is its owner's",
    );
    assert.deepEqual(((await objects.get(refOf(configMap('a1', ns)))) as { data?: Record<string, string> }).data, {
      k: 'v',
    });
    assert.equal(
      await objects.get(refOf(configMap('r1', ns))),
      undefined,
      'nothing of the conflicting app was written',
    );
  });
});
