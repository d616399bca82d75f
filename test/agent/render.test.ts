/**
 * The agent reconciles Kustomize and Helm sources against the real plane with the real
 * kustomize and helm: vendored third-party inputs (podinfo's kustomize/ folder) and
 * synthops' own overlay and chart converge, a generator change prunes the old generated
 * ConfigMap, `agent --once` says which binary rendered the revision; every bad input
 * rejects the revision before any request to the cluster and keeps the last good state.
 */
import { spawnSync } from 'child_process';
import * as assert from 'node:assert/strict';
import * as path from 'path';
import { describe, test } from 'node:test';
import { LoadError } from '../../src/agent/source/errors';
import { KubeClient } from '../../src/kube/client';
import { Manifest, refOf } from '../../src/model/manifest';
import { RenderError } from '../../src/render/run';
import { findTool } from '../../src/render/tools';
import { StatusStore } from '../../src/agent/state/status-store';
import { resourceVersions, runOnce, testClient, testObjects } from '../harness/agent';
import { eventually, testKubeconfig, testNamespace } from '../harness/cluster';
import { startController } from '../harness/controller';
import { TestRemote } from '../harness/git';
import { SYNTHOPS_BIN, agentOnceArgs } from '../harness/once-args';
import { fixture } from '../harness/render-fixtures';

const ref = (
  kind: string,
  name: string,
  ns: string,
  apiVersion = kind === 'Deployment' || kind === 'StatefulSet' ? 'apps/v1' : 'v1',
): Manifest => ({ apiVersion, kind, metadata: { name, namespace: ns } });

describe('agent: Kustomize and Helm sources', () => {
  test("podinfo's kustomize/ folder converges, rendered by the pinned kustomize; a second run changes nothing", async (t) => {
    const ns = await testNamespace(t);
    const remote = TestRemote.create(t);
    remote.publish('main', fixture('podinfo', 'apps/podinfo'));
    const first = await runOnce(t, {
      repo: remote.fileUrl,
      branch: 'main',
      ns,
      path: 'apps/podinfo/kustomize',
      app: 'podinfo',
    });
    const tool = findTool('kustomize');
    assert.equal(first.loaded.layout, 'kustomize');
    assert.deepEqual(first.loaded.renderedBy, { tool: 'kustomize', version: tool.version, path: tool.path });
    const app = first.result.apps[0];
    assert.equal(first.result.converged, true, JSON.stringify(app));
    assert.deepEqual(app.created.sort(), [
      `Deployment ${ns}/podinfo`,
      `HorizontalPodAutoscaler ${ns}/podinfo`,
      `Service ${ns}/podinfo`,
    ]);
    assert.equal(app.health, 'Healthy');
    const objects = await testObjects(t);
    const live = await objects.get(refOf(ref('Deployment', 'podinfo', ns)));
    assert.equal(
      (live as Manifest & Record<string, any>).spec.template.spec.containers[0].image,
      'ghcr.io/stefanprodan/podinfo:6.14.1',
    );
    assert.deepEqual(
      live?.metadata.labels,
      { 'synthops.dev/app': 'podinfo', 'synthops.dev/env': 'default' },
      'ownership labels stamped on rendered objects',
    );

    const again = await runOnce(t, {
      repo: remote.fileUrl,
      branch: 'main',
      ns,
      path: 'apps/podinfo/kustomize',
      app: 'podinfo',
    });
    assert.equal(again.result.converged, true);
    assert.deepEqual(
      [again.result.apps[0].created, again.result.apps[0].configured, again.result.apps[0].unchanged.length],
      [[], [], 3],
    );
  });

  test('an overlay with namePrefix, a generated ConfigMap and a patch; a one-line change of a generator input replaces the ConfigMap and prunes the old one', async (t) => {
    const ns = await testNamespace(t);
    const remote = TestRemote.create(t);
    const files = fixture('overlay', 'shop');
    remote.publish('main', files);
    const run = () => runOnce(t, { repo: remote.fileUrl, branch: 'main', ns, path: 'shop/overlays/prod', app: 'shop' });
    const first = (await run()).result;
    assert.equal(first.converged, true, JSON.stringify(first.apps));
    const created = first.apps[0].created;
    const cmName = created.find((c) => c.startsWith('ConfigMap '))!.split('/')[1];
    assert.match(cmName, /^prod-shop-config-[a-z0-9]{10}$/);
    assert.deepEqual(created.filter((c) => !c.startsWith('ConfigMap ')).sort(), [
      `Deployment ${ns}/prod-shop`,
      `Service ${ns}/prod-shop`,
    ]);
    const objects = await testObjects(t);
    assert.equal(
      ((await objects.get(refOf(ref('Deployment', 'prod-shop', ns)))) as Manifest & Record<string, any>).spec.replicas,
      2,
      'the patch applied',
    );
    assert.equal(
      ((await objects.get(refOf(ref('ConfigMap', cmName, ns)))) as Manifest & Record<string, any>).data.LOG_LEVEL,
      'warn',
    );

    remote.publish(
      'main',
      { ...files, 'shop/overlays/prod/settings.properties': 'feature.checkout=on\ncurrency=USD\n' },
      'prod: bill in USD',
    );
    const second = (await run()).result;
    assert.equal(second.converged, true, JSON.stringify(second.apps));
    const next = second.apps[0].created.map((c) => c.split('/')[1]);
    assert.equal(next.length, 1);
    assert.notEqual(next[0], cmName);
    assert.deepEqual(
      second.apps[0].configured,
      [`Deployment ${ns}/prod-shop`],
      'the Deployment now references the new ConfigMap',
    );
    assert.deepEqual(second.apps[0].pruned, [`ConfigMap ${ns}/${cmName}`]);
    assert.equal(await objects.get(refOf(ref('ConfigMap', cmName, ns))), undefined);
  });

  test('`agent --once` renders a chart with values files and --set values, and says which helm rendered it', async (t) => {
    const ns = await testNamespace(t);
    const remote = TestRemote.create(t);
    remote.publish('main', fixture('chart', 'charts/shop'));
    const kubeconfig = await testKubeconfig();
    const r = spawnSync(
      process.execPath,
      [
        SYNTHOPS_BIN,
        ...agentOnceArgs({
          repo: remote.fileUrl,
          branch: 'main',
          namespace: ns,
          timeout: '60s',
          workdir: path.join(remote.root, 'agent'),
          kubeconfig,
          extra: [
            '--path',
            'charts/shop',
            '--helm-release',
            'web',
            '--helm-values',
            'values-prod.yaml',
            '--helm-set',
            'image.tag=4e5f6a7',
          ],
        }),
      ],
      { encoding: 'utf8' },
    );
    assert.equal(r.status, 0, r.stdout + r.stderr);
    const helm = findTool('helm');
    assert.match(
      r.stdout,
      new RegExp(
        `^rendered charts/shop \\(helm\\) with helm ${helm.version} \\(${helm.path.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}\\)$`,
        'm',
      ),
    );
    assert.match(r.stdout, /^shop\s+Applied\s+5\s+0\s+0\s+0\s+0\s+Healthy$/m);
    const objects = await testObjects(t);
    const cm = (await objects.get(refOf(ref('ConfigMap', 'web-shop', ns)))) as Manifest & Record<string, any>;
    assert.deepEqual(cm.data, { greeting: 'hello from prod', namespace: ns, cacheAddress: 'web-cache:6379' });
    const deploy = (await objects.get(refOf(ref('Deployment', 'web-shop', ns)))) as Manifest & Record<string, any>;
    assert.equal(deploy.spec.template.spec.containers[0].image, 'docker.io/kostiscodefresh/simple-web-app:4e5f6a7');
    assert.ok(await objects.get(refOf(ref('StatefulSet', 'web-cache', ns))), 'the vendored dependency is applied');
  });

  test('bad input: every render failure rejects the revision with no request to the cluster; the last good state stays', async (t) => {
    const ns = await testNamespace(t);
    const remote = TestRemote.create(t);
    const good = fixture('overlay', 'shop');
    remote.publish('main', good);
    const opts = { repo: remote.fileUrl, branch: 'main', ns, path: 'shop/overlays/prod', app: 'shop' };
    const first = (await runOnce(t, opts)).result;
    assert.equal(first.converged, true);
    const objects = await testObjects(t);
    const applied = first.apps[0].created.map((c) => {
      const [kind, id] = c.split(' ');
      return ref(kind, id.split('/')[1], ns);
    });
    const before = await resourceVersions(objects, applied);
    const prod = 'shop/overlays/prod';
    const chart = fixture('chart', prod);
    const cases: {
      name: string;
      files: Record<string, string>;
      render?: Parameters<typeof runOnce>[1]['render'];
      expect: Partial<RenderError>;
    }[] = [
      {
        name: 'a broken kustomization',
        files: { ...good, 'shop/base/kustomization.yaml': 'resources:\n  - deployment.yaml\nlabels: [\n' },
        expect: { reason: 'failed', file: 'shop/base/kustomization.yaml', line: 3 },
      },
      {
        name: 'a missing base',
        files: {
          ...good,
          [`${prod}/kustomization.yaml`]: 'namePrefix: prod-\nresources:\n  - ../../base\n  - ../../common\n',
        },
        expect: { reason: 'failed', file: `${prod}/kustomization.yaml`, line: 4 },
      },
      {
        name: 'an exec plugin',
        files: {
          ...good,
          [`${prod}/kustomization.yaml`]: 'resources:\n  - ../../base\ngenerators:\n  - gen.yaml\n',
          [`${prod}/gen.yaml`]:
            'apiVersion: example.com/v1\nkind: Gen\nmetadata:\n  name: g\n  annotations:\n    config.kubernetes.io/function: |\n      exec:\n        path: ./gen.sh\n',
        },
        expect: { reason: 'refused', refusal: 'plugin', file: `${prod}/gen.yaml`, line: 1 },
      },
      {
        name: 'a remote base',
        files: {
          ...good,
          [`${prod}/kustomization.yaml`]:
            'resources:\n  - ../../base\n  - github.com/stefanprodan/podinfo//kustomize?ref=6.14.1\n',
        },
        expect: { reason: 'refused', refusal: 'remote', file: `${prod}/kustomization.yaml`, line: 3 },
      },
      {
        name: 'a render past the output limit',
        files: good,
        render: { limits: { maxOutputBytes: 512 } },
        expect: { reason: 'output-limit' },
      },
      {
        name: 'a helm template error',
        files: { ...chart, [`${prod}/templates/broken.yaml`]: 'data:\n  v: {{ .Values.missing.key }}\n' },
        expect: { reason: 'failed', tool: 'helm', file: `${prod}/templates/broken.yaml`, line: 2 },
      },
      {
        name: 'a helm hook',
        files: {
          ...chart,
          [`${prod}/templates/hook.yaml`]:
            'apiVersion: batch/v1\nkind: Job\nmetadata:\n  name: migrate\n  annotations:\n    helm.sh/hook: pre-upgrade\nspec: {}\n',
        },
        expect: { reason: 'refused', refusal: 'helm-hook', file: `${prod}/templates/hook.yaml` },
      },
    ];
    for (const c of cases) {
      remote.publish('main', c.files, c.name);
      const client = KubeClient.fromKubeconfig(await testKubeconfig());
      t.after(() => client.close());
      await assert.rejects(runOnce(t, { ...opts, client, render: c.render }), (e: unknown) => {
        assert.ok(e instanceof LoadError, `${c.name}: ${String(e)}`);
        assert.ok(e.render, `${c.name}: ${e.message}`);
        for (const [k, v] of Object.entries(c.expect))
          assert.equal(e.render[k as keyof RenderError], v, `${c.name}: ${k} in ${e.message}`);
        return true;
      });
      assert.deepEqual(client.counts, {}, `${c.name}: no request at all`);
      assert.deepEqual(await resourceVersions(objects, applied), before, `${c.name}: the last good state stays`);
    }
    // A generateName object in a chart: refused with why, nothing sent. (kustomize refuses one itself: "missing metadata.name".)
    remote.publish(
      'main',
      {
        ...chart,
        [`${prod}/templates/job.yaml`]:
          'apiVersion: batch/v1\nkind: Job\nmetadata:\n  generateName: migrate-\nspec: {}\n',
      },
      'a generateName Job',
    );
    const client = KubeClient.fromKubeconfig(await testKubeconfig());
    t.after(() => client.close());
    await assert.rejects(
      runOnce(t, { ...opts, client }),
      (e: unknown) =>
        e instanceof LoadError &&
        e.problems.some((p) =>
          p.startsWith(
            `${prod}/templates/job.yaml#0: Job migrate-<generated> has metadata.generateName and no metadata.name: a pull agent cannot track it`,
          ),
        ),
    );
    assert.deepEqual(client.counts, {});
    assert.deepEqual(await resourceVersions(objects, applied), before);

    remote.publish('main', good, 'fixed');
    const fixed = (await runOnce(t, opts)).result;
    assert.equal(fixed.converged, true);
    assert.deepEqual(
      [fixed.apps[0].created, fixed.apps[0].configured, fixed.apps[0].pruned],
      [[], [], []],
      'the good revision again: nothing to change',
    );
  });

  test('the long-running agent logs which binary rendered a revision and its warnings; a broken render is BuildFailed in the AppSync status and an Event, the cluster untouched', async (t) => {
    const ns = await testNamespace(t);
    const remote = TestRemote.create(t);
    const good = fixture('overlay', 'shop');
    // A manifest written for Argo CD: its sync wave is reported as ignored.
    good['shop/base/service.yaml'] = good['shop/base/service.yaml'].replace(
      '  name: shop\n',
      '  name: shop\n  annotations:\n    argocd.argoproj.io/sync-wave: "1"\n',
    );
    const sha = remote.publish('main', good);
    const agent = await startController(t, {
      repo: remote.fileUrl,
      branch: 'main',
      ns,
      retryBaseMs: 60_000,
      load: { path: 'shop/overlays/prod', app: 'shop', namespace: ns },
    });
    const store = new StatusStore(await testClient(t), ns);
    await eventually('shop ready', async () =>
      (await store.get('default', 'shop'))?.status?.conditions?.find((c) => c.type === 'Ready')?.status === 'True'
        ? true
        : undefined,
    );
    const tool = findTool('kustomize');
    const loadedLine = agent.logs.find((l) => l.msg === 'revision loaded' && l.revision === sha);
    assert.deepEqual(
      [loadedLine?.layout, loadedLine?.renderedBy],
      ['kustomize', { tool: 'kustomize', version: tool.version, path: tool.path }],
    );
    const warned = agent.logs.find((l) => l.msg === 'revision loaded with warnings' && l.revision === sha);
    assert.deepEqual(warned?.warnings, [
      'kustomize build shop/overlays/prod#1: Service prod-shop: ignored argocd.argoproj.io/sync-wave "1" (synthops orders by kind: namespaces and CRDs first, then the rest; order apps with dependsOn)',
    ]);
    const objects = await testObjects(t);
    const service = ref('Service', 'prod-shop', ns);
    const before = await resourceVersions(objects, [service]);

    const bad = remote.publish(
      'main',
      {
        ...good,
        'shop/overlays/prod/kustomization.yaml': 'namePrefix: prod-\nresources:\n  - ../../base\n  - ../../common\n',
      },
      'a missing base',
    );
    agent.controller.request('webhook', true);
    const ready = await eventually('BuildFailed', async () => {
      const c = (await store.get('default', 'shop'))?.status?.conditions?.find((x) => x.type === 'Ready');
      return c?.reason === 'BuildFailed' ? c : undefined;
    });
    assert.equal(ready.status, 'False');
    assert.match(
      ready.message,
      new RegExp(
        `^revision ${bad.slice(0, 12)} rejected, nothing applied:\n  kustomize ${tool.version} \\(.*\\) failed for shop/overlays/prod \\(shop/overlays/prod/kustomization\\.yaml, line 4\\):`,
      ),
    );
    assert.ok(
      (await store.events((await store.get('default', 'shop'))!)).some(
        (e) => e.type === 'Warning' && e.reason === 'BuildFailed',
      ),
    );
    assert.ok(agent.logs.some((l) => l.msg === 'revision rejected' && l.revision === bad));
    assert.deepEqual(await resourceVersions(objects, [service]), before, 'the last good state stays');
  });
});
