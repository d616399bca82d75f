/**
 * Kustomization and HelmChart at synth time, with the real kustomize and helm: the
 * deploy output is the plain YAML the tools print, as objects of the app (its labels,
 * its namespace where they set none); the folders, values files and tool versions are
 * inputs of the synth cache, so an unchanged chart is not rendered again and a
 * one-line change renders only the app that uses it; the agent's refusals hold at synth.
 * Which modules were rendered is read from synth's stats; no test looks at time.
 */
import * as assert from 'node:assert/strict';
import * as fs from 'fs';
import * as path from 'path';
import { TestContext, describe, test } from 'node:test';
import * as YAML from 'yaml';
import { SynthResult, synth } from '../../src/synth/synth';
import { makeRepo } from '../harness/config-repo';
import { fixture } from '../harness/render-fixtures';

const KUSTOMIZE_APP = `import { Kustomization, defineApp } from 'synthops';
export default defineApp({
  name: 'legacy',
  build: (app) => { new Kustomization(app, 'k', { path: 'kustomize/overlays/prod' }); },
});
`;

const HELM_APP = (extra = '') => `import { HelmChart, defineApp } from 'synthops';
export default defineApp({
  name: 'shop',
  build: (app, env) => {
    new HelmChart(app, 'chart', {
      path: 'charts/shop',
      valuesFiles: ['charts/shop/values-prod.yaml'],
      values: { replicaCount: env.name === 'prod' ? 3 : 1 },${extra}
    });
  },
});
`;

const PLAIN_APP = `import { k8s } from 'cdk8s-plus-28';
import { defineApp } from 'synthops';
export default defineApp({
  name: 'plain',
  build: (app) => { new k8s.KubeConfigMap(app, 'cm', { metadata: { name: 'plain' }, data: { a: '1' } }); },
});
`;

// Neither is a production environment: the fixtures' containers set no limits.
const ENVIRONMENTS = `import { defineEnvironments } from 'synthops';
export default defineEnvironments({ dev: {}, prod: {} });
`;

function repo(t: TestContext, files: Record<string, string> = {}): string {
  return makeRepo(t, {
    'apps/environments.ts': ENVIRONMENTS,
    'apps/legacy.ts': KUSTOMIZE_APP,
    'apps/shop.ts': HELM_APP(),
    'apps/plain.ts': PLAIN_APP,
    ...fixture('overlay', 'kustomize'),
    ...fixture('chart', 'charts/shop'),
    ...files,
  });
}

function ok(r: SynthResult): SynthResult {
  assert.deepEqual(r.issues, []);
  return r;
}

function objectsIn(dir: string): Array<Record<string, any>> {
  return fs
    .readdirSync(dir)
    .filter((f) => f.endsWith('.yaml'))
    .map((f) => YAML.parse(fs.readFileSync(path.join(dir, f), 'utf8')));
}

const rendered = (r: SynthResult) => [...r.stats.renderedSources].sort();

describe('Kustomization and HelmChart at synth time', () => {
  test('render plain YAML into the app, with its labels and namespace', (t) => {
    const root = repo(t);
    const r = ok(synth({ root }));
    const legacy = objectsIn(path.join(root, 'dist/prod/legacy'));
    const kinds = legacy.map((o) => o.kind).sort();
    assert.ok(kinds.includes('Deployment') && kinds.includes('Service') && kinds.includes('ConfigMap'), kinds.join());
    for (const o of legacy) {
      assert.equal(o.metadata.labels['synthops.dev/app'], 'legacy');
      assert.equal(o.metadata.labels['synthops.dev/env'], 'prod');
      if (o.kind !== 'Namespace') assert.equal(o.metadata.namespace, 'legacy');
    }
    const shop = objectsIn(path.join(root, 'dist/prod/shop'));
    const deployment = shop.find((o) => o.kind === 'Deployment' && o.metadata.name.startsWith('shop'));
    assert.ok(deployment, shop.map((o) => `${o.kind}/${o.metadata.name}`).join());
    assert.equal(deployment.spec.replicas, 3);
    assert.equal(deployment.metadata.namespace, 'shop');
    const dev = objectsIn(path.join(root, 'dist/dev/shop')).find(
      (o) => o.kind === 'Deployment' && o.metadata.name === deployment.metadata.name,
    );
    assert.equal(dev?.spec.replicas, 1);
    assert.deepEqual(rendered(r), ['apps/legacy.ts', 'apps/plain.ts', 'apps/shop.ts']);
  });

  test("synth's validation applies to rendered objects", (t) => {
    const root = repo(t, { 'apps/environments.ts': ENVIRONMENTS.replace('prod: {}', 'prod: { production: true }') });
    const r = synth({ root });
    const limits = r.issues.filter((i) => i.rule === 'missing-limits').map((i) => `${i.app} ${i.object}`);
    assert.ok(limits.includes('legacy Deployment legacy/prod-shop'), limits.join());
    assert.ok(limits.includes('shop Deployment shop/shop-shop'), limits.join());
  });

  test('an unchanged chart and folder come from the synth cache; a one-line change renders only its app', (t) => {
    const root = repo(t);
    ok(synth({ root }));
    const again = ok(synth({ root }));
    assert.deepEqual(rendered(again), [], 'nothing changed: nothing rendered, no tool run');

    // A base of the overlay (outside the overlay's own folder).
    const base = path.join(root, 'kustomize/base/deployment.yaml');
    fs.writeFileSync(
      base,
      fs.readFileSync(base, 'utf8').replace(/image: (\S+)/, 'image: registry.example.com/legacy:9.9.9'),
    );
    const afterBase = ok(synth({ root }));
    assert.deepEqual(rendered(afterBase), ['apps/legacy.ts']);
    assert.match(
      fs.readFileSync(
        path.join(
          root,
          'dist/prod/legacy',
          fs.readdirSync(path.join(root, 'dist/prod/legacy')).find((f) => f.startsWith('deployment'))!,
        ),
        'utf8',
      ),
      /legacy:9\.9\.9/,
    );

    // A template of the chart, then a values file.
    fs.appendFileSync(path.join(root, 'charts/shop/templates/configmap.yaml'), '  extra: "1"\n');
    assert.deepEqual(rendered(ok(synth({ root }))), ['apps/shop.ts']);
    fs.appendFileSync(path.join(root, 'charts/shop/values-prod.yaml'), '\n# a comment\n');
    assert.deepEqual(rendered(ok(synth({ root }))), ['apps/shop.ts']);

    // What the cache gave is what a synth without it writes.
    const cold = path.join(root, 'cold');
    ok(synth({ root, out: cold, cache: false }));
    for (const app of ['dev/shop', 'prod/legacy', 'prod/shop'])
      assert.deepEqual(objectsIn(path.join(root, 'dist', app)), objectsIn(path.join(cold, app)));
  });

  test('another tool version is another input', (t) => {
    const root = repo(t);
    ok(synth({ root }));
    // The same binaries behind a wrapper reporting another version.
    const bin = path.join(root, 'fake-bin');
    fs.mkdirSync(bin);
    const real = require('../../src/render/tools').findTool('kustomize').path as string;
    const wrapper = path.join(bin, 'kustomize');
    fs.writeFileSync(wrapper, `#!/bin/sh\nif [ "$1" = version ]; then echo v5.9.0; exit 0; fi\nexec ${real} "$@"\n`, {
      mode: 0o755,
    });
    const before = process.env.SYNTHOPS_KUSTOMIZE;
    process.env.SYNTHOPS_KUSTOMIZE = wrapper;
    t.after(() => {
      if (before === undefined) delete process.env.SYNTHOPS_KUSTOMIZE;
      else process.env.SYNTHOPS_KUSTOMIZE = before;
    });
    assert.deepEqual(rendered(ok(synth({ root }))), ['apps/legacy.ts']);
  });

  test("the agent's refusals hold at synth: remote bases, plugins and hooks fail the app, naming the file", (t) => {
    const root = repo(t, {
      'kustomize/overlays/prod/kustomization.yaml': 'resources:\n  - https://github.com/example/repo//base?ref=main\n',
      'charts/shop/templates/hook.yaml':
        'apiVersion: batch/v1\nkind: Job\nmetadata:\n  name: migrate\n  annotations:\n    helm.sh/hook: pre-install\nspec:\n  template:\n    spec:\n      restartPolicy: Never\n      containers: [{ name: m, image: busybox }]\n',
    });
    const r = synth({ root });
    const text = r.issues.map((i) => i.message).join('\n');
    assert.match(text, /remote base "https:\/\/github\.com\/example\/repo\/\/base\?ref=main"/);
    assert.match(text, /kustomize\/overlays\/prod\/kustomization\.yaml/);
    assert.match(text, /is a Helm hook/);
    assert.ok(!fs.existsSync(path.join(root, 'dist/prod/legacy')));
  });

  test('hooks: skip leaves them out; the chart still renders', (t) => {
    const root = repo(t, {
      'apps/shop.ts': HELM_APP(`\n      hooks: 'skip',`),
      'charts/shop/templates/hook.yaml':
        'apiVersion: batch/v1\nkind: Job\nmetadata:\n  name: migrate\n  annotations:\n    helm.sh/hook: pre-install\nspec:\n  template:\n    spec:\n      restartPolicy: Never\n      containers: [{ name: m, image: busybox }]\n',
    });
    ok(synth({ root }));
    assert.ok(!objectsIn(path.join(root, 'dist/prod/shop')).some((o) => o.kind === 'Job'));
  });
});
