/**
 * Coming from plain cdk8s: a chart class of a cdk8s project works nested in the
 * Application (its objects get the app's namespace, or keep the chart's own); a module
 * that calls `app.synth()` is told so and writes nothing; two copies of cdk8s (a
 * synthops linked from a checkout) are named before anything is loaded.
 */
import * as assert from 'node:assert/strict';
import * as fs from 'fs';
import * as path from 'path';
import { describe, test } from 'node:test';
import * as YAML from 'yaml';
import { ConfigError } from '../../src/model/errors';
import { synth } from '../../src/synth/synth';
import { REPO_ROOT, makeRepo } from '../harness/config-repo';

/** A chart as a cdk8s project has it (cdk8s init typescript-app, plus cdk8s-plus). */
const CDK8S_CHART = `import { Chart, ChartProps } from 'cdk8s';
import * as kplus from 'cdk8s-plus-28';
import { Construct } from 'constructs';
export class WebChart extends Chart {
  constructor(scope: Construct, id: string, props: ChartProps = {}) {
    super(scope, id, props);
    const d = new kplus.Deployment(this, 'web', {
      replicas: 2,
      containers: [{ image: 'docker.io/kostiscodefresh/simple-web-app:3d9b390', portNumber: 8080, securityContext: { ensureNonRoot: false } }],
    });
    d.exposeViaService({ ports: [{ port: 80, targetPort: 8080 }] });
    new kplus.ConfigMap(this, 'settings', { data: { MODE: 'fast' } });
    new kplus.ClusterRole(this, 'reader');
  }
}
`;

const NESTED_APP = `import { defineApp } from 'synthops';
import { WebChart } from '../lib/web-chart';
export default defineApp({ name: 'web', build: (app) => { new WebChart(app, 'main'); } });
`;

const OWN_NAMESPACE_APP = `import { defineApp } from 'synthops';
import { WebChart } from '../lib/web-chart';
export default defineApp({ name: 'other', build: (app) => { new WebChart(app, 'main', { namespace: 'elsewhere' }); } });
`;

/** A cdk8s main.ts moved into apps/ as it is. */
const MAIN_TS = `import { App } from 'cdk8s';
import { WebChart } from '../lib/web-chart';
const app = new App();
new WebChart(app, 'web');
app.synth();
`;

const ENVIRONMENTS = `import { defineEnvironments } from 'synthops';
export default defineEnvironments({ dev: {} });
`;

function objects(dir: string): Array<Record<string, any>> {
  return fs.readdirSync(dir).map((f) => YAML.parse(fs.readFileSync(path.join(dir, f), 'utf8')));
}

describe('migration from plain cdk8s', () => {
  test('a cdk8s Chart nested in the app: objects get the app namespace (or the chart its own), no missing-namespace', (t) => {
    const root = makeRepo(t, {
      'apps/environments.ts': ENVIRONMENTS,
      'apps/web.ts': NESTED_APP,
      'apps/other.ts': OWN_NAMESPACE_APP,
      'lib/web-chart.ts': CDK8S_CHART,
    });
    const r = synth({ root });
    assert.deepEqual(
      r.issues.map((i) => `${i.rule}: ${i.message}`),
      [],
    );
    const web = objects(path.join(root, 'dist/dev/web'));
    const kinds = web.map((o) => o.kind).sort();
    assert.deepEqual(kinds, ['ClusterRole', 'ConfigMap', 'Deployment', 'Namespace', 'Service']);
    for (const o of web) {
      if (o.kind === 'Namespace' || o.kind === 'ClusterRole') assert.equal(o.metadata.namespace, undefined);
      else assert.equal(o.metadata.namespace, 'web', `${o.kind} ${o.metadata.name}`);
      assert.equal(o.metadata.labels['synthops.dev/app'], 'web');
    }
    const other = objects(path.join(root, 'dist/dev/other')).filter((o) => o.kind === 'Deployment');
    assert.equal(other[0].metadata.namespace, 'elsewhere');
  });

  test('a module that calls app.synth() is told so and nothing is written behind synth', (t) => {
    const root = makeRepo(t, {
      'apps/environments.ts': ENVIRONMENTS,
      'apps/main.ts': MAIN_TS,
      'lib/web-chart.ts': CDK8S_CHART,
    });
    const r = synth({ root });
    const messages = r.issues.map((i) => i.message).join('\n');
    assert.deepEqual(
      r.issues.map((i) => i.source),
      ['apps/main.ts'],
    );
    assert.match(messages, /cdk8s App\.synth\(\) was called while synthops synth loads the apps/);
    assert.match(messages, /export defineApp/);
    assert.ok(!fs.existsSync(path.join(root, 'dist', 'web.k8s.yaml')), 'cdk8s wrote nothing');
    // After synth, App.synth() is cdk8s's own again.
    const { App } = require('cdk8s');
    const out = path.join(root, 'plain-out');
    new App({ outdir: out }).synth();
    assert.ok(fs.existsSync(out));
  });

  test('two copies of cdk8s (synthops linked from a checkout) are named, with the fix', (t) => {
    const root = makeRepo(t, {
      'apps/environments.ts': ENVIRONMENTS,
      'apps/web.ts': NESTED_APP,
      'lib/web-chart.ts': CDK8S_CHART,
    });
    // The config repo's own copy instead of the link to this checkout's.
    const link = path.join(root, 'node_modules', 'cdk8s');
    fs.rmSync(link);
    fs.cpSync(path.join(REPO_ROOT, 'node_modules', 'cdk8s'), link, { recursive: true, dereference: true });
    assert.throws(
      () => synth({ root }),
      (e) =>
        e instanceof ConfigError &&
        e.file === 'package.json' &&
        /two copies of cdk8s/.test(e.message) &&
        /--install-links/.test(e.message) &&
        !/constructs at/.test(e.message),
    );
  });
});
