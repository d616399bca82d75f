/**
 * `npm run ui:screenshots`: regenerates docs/ui-overview.png, docs/ui-app.png and
 * docs/ui-object.png from a real state: the real agent (two environments) reconciling a
 * local deploy repo on the local control plane, with an app that never rolls out, a
 * held prune and drift on a suspended app, then `synthops ui` in headless Chromium.
 */
import * as path from 'path';
import type { TestContext } from 'node:test';
import { StatusStore } from '../../src/agent/state/status-store';
import { Manifest } from '../../src/model/manifest';
import { configMap, synthopsTree, testClient } from '../harness/agent';
import { deleteNamespaces, eventually, testKubeConfig } from '../harness/cluster';
import { startController } from '../harness/controller';
import { TestRemote } from '../harness/git';
import { TestBrowser } from './support/browser';
import { startTestUi } from './support/ui';
import * as k8s from '@kubernetes/client-node';

const DOCS = path.resolve(__dirname, '..', '..', 'docs');
const AGENT_NS = 'synthops-demo';

/** The harness helpers take a test context for their cleanups; this one runs them at the end. */
class Cleanups {
  private readonly fns: Array<() => unknown> = [];
  public readonly t = {
    after: (fn: () => unknown) => {
      this.fns.push(fn);
    },
  } as unknown as TestContext;
  public async run(): Promise<void> {
    for (const fn of this.fns.reverse()) await Promise.resolve(fn()).catch(() => undefined);
  }
}

function deployment(name: string, ns: string, replicas: number, image: string, stuck = false): Manifest {
  return {
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: { name, namespace: ns },
    spec: {
      replicas,
      ...(stuck ? { progressDeadlineSeconds: 1 } : {}),
      selector: { matchLabels: { app: name } },
      template: {
        metadata: { labels: { app: name } },
        spec: {
          ...(stuck ? { nodeSelector: { pool: 'gpu-a100' } } : {}),
          containers: [
            {
              name,
              image,
              ports: [{ containerPort: 8080 }],
              resources: { requests: { cpu: '100m', memory: '64Mi' }, limits: { cpu: '500m', memory: '128Mi' } },
            },
          ],
        },
      },
    },
  };
}

function service(name: string, ns: string): Manifest {
  return {
    apiVersion: 'v1',
    kind: 'Service',
    metadata: { name, namespace: ns },
    spec: { selector: { app: name }, ports: [{ port: 80, targetPort: 8080 }] },
  };
}

function apps(env: string, ns: string, searchFull: boolean): Record<string, Manifest[]> {
  const simple = ['auth', 'cart', 'checkout', 'inventory', 'notifications', 'profile', 'recommendations', 'reviews'];
  const out: Record<string, Manifest[]> = {
    shop: [
      deployment('shop-web', ns, 2, 'registry.example.com/shop:1.4.2'),
      service('shop-web', ns),
      configMap('shop-settings', ns, { LOG_LEVEL: env === 'prod' ? 'info' : 'debug' }),
    ],
    catalog: [deployment('catalog', ns, 1, 'registry.example.com/catalog:2.0.1'), service('catalog', ns)],
    search: searchFull
      ? [
          deployment('search-indexer', ns, 1, 'registry.example.com/search:0.9.0'),
          configMap('search-synonyms', ns),
          configMap('search-stopwords', ns),
          configMap('search-boosts', ns),
        ]
      : [deployment('search-indexer', ns, 1, 'registry.example.com/search:0.9.0')],
  };
  if (env === 'prod')
    out.payments = [
      deployment('payments-api', ns, 2, 'registry.example.com/payments:3.2.0', true),
      service('payments-api', ns),
    ];
  for (const a of simple) out[a] = [configMap(`${a}-config`, ns, { FEATURE_FLAGS: 'default' })];
  return out;
}

async function main(): Promise<void> {
  const c = new Cleanups();
  const t = c.t;
  const nsStaging = 'demo-staging';
  const nsProd = 'demo-prod';
  await deleteNamespaces([AGENT_NS, nsStaging, nsProd]);
  const core = (await testKubeConfig()).makeApiClient(k8s.CoreV1Api);
  for (const name of [AGENT_NS, nsStaging, nsProd]) await core.createNamespace({ body: { metadata: { name } } });
  try {
    const remote = TestRemote.create(t);
    remote.publish('staging', synthopsTree('staging', apps('staging', nsStaging, true)));
    remote.publish('prod', synthopsTree('prod', apps('prod', nsProd, true)));
    const staging = await startController(t, {
      repo: remote.fileUrl,
      branch: 'staging',
      ns: AGENT_NS,
      env: 'staging',
      intervalMs: 3_600_000,
    });
    await startController(t, {
      repo: remote.fileUrl,
      branch: 'prod',
      ns: AGENT_NS,
      env: 'prod',
      intervalMs: 3_600_000,
      retryBaseMs: 3_600_000,
    });
    const store = new StatusStore(await testClient(t), AGENT_NS);
    const reason = async (env: string, app: string) =>
      (await store.get(env, app))?.status?.conditions?.find((x) => x.type === 'Ready')?.reason;
    await eventually(
      'staging converged',
      async () => ((await reason('staging', 'shop')) === 'ReconciliationSucceeded' ? true : undefined),
      180_000,
    );
    await eventually(
      'prod payments degraded',
      async () => ((await reason('prod', 'payments')) === 'HealthCheckFailed' ? true : undefined),
      180_000,
    );

    // A held prune in staging: the new revision drops three of search's four objects.
    remote.publish(
      'staging',
      synthopsTree('staging', apps('staging', nsStaging, false)),
      'publish 5c1d2e3f\n\nSource-Commit: 5c1d2e3f4a5b6c7d8e9f0a1b2c3d4e5f6a7b8c9d\nSource-Repo: https://git.example.com/shop/config.git',
    );
    const admin = await testClient(t);
    // Drift on a suspended app: someone set another image by hand.
    await admin.request('PATCH', `/apis/synthops.dev/v1alpha1/namespaces/${AGENT_NS}/appsyncs/staging.catalog`, {
      body: { metadata: { annotations: { 'synthops.dev/suspend': 'true' } } },
      contentType: 'application/merge-patch+json',
    });
    staging.controller.request('webhook', true);
    await eventually(
      'search held',
      async () => ((await reason('staging', 'search')) === 'PruneHeld' ? true : undefined),
      120_000,
    );
    await admin.request('PATCH', `/apis/apps/v1/namespaces/${nsStaging}/deployments/catalog`, {
      body: {
        spec: {
          template: { spec: { containers: [{ name: 'catalog', image: 'registry.example.com/catalog:2.0.2-hotfix' }] } },
        },
      },
      contentType: 'application/strategic-merge-patch+json',
      query: { fieldManager: 'kubectl-edit' },
    });
    await eventually(
      'catalog drift reported',
      async () => ((await store.get('staging', 'catalog'))?.status?.drift?.length ? true : undefined),
      120_000,
    );

    const ui = await startTestUi(t, { namespace: AGENT_NS, repo: remote.fileUrl, branch: 'staging' });
    const browser = await TestBrowser.launch(t);
    const { page } = await browser.page('light', { viewport: { width: 1280, height: 800 } });
    await page.goto(ui.url);
    await page.screenshot({ path: path.join(DOCS, 'ui-overview.png') });
    await page.setViewportSize({ width: 1280, height: 1100 });
    await page.goto(`${ui.url}apps/${AGENT_NS}/prod.payments`);
    await page.locator('.tree > li > ul > li > ul > li').first().waitFor({ timeout: 30_000 });
    await page.screenshot({ path: path.join(DOCS, 'ui-app.png') });
    await page.setViewportSize({ width: 1280, height: 1000 });
    await page.goto(`${ui.url}objects/${AGENT_NS}/staging.catalog/apps/v1/Deployment/${nsStaging}/catalog`);
    await page.locator('pre.diff').waitFor();
    await page.screenshot({ path: path.join(DOCS, 'ui-object.png') });
    if (process.env.UI_SCREENSHOTS_DARK) {
      // For looking at the dark scheme; not committed.
      const dark = await browser.page('dark', { viewport: { width: 1280, height: 1000 } });
      for (const [name, url] of [
        ['overview', ui.url],
        ['app', `${ui.url}apps/${AGENT_NS}/staging.search`],
        ['sources', `${ui.url}sources`],
      ] as const) {
        await dark.page.goto(url);
        await dark.page.screenshot({ path: path.join(process.env.UI_SCREENSHOTS_DARK, `dark-${name}.png`) });
      }
    }
    process.stdout.write(
      `wrote ${['ui-overview.png', 'ui-app.png', 'ui-object.png'].map((f) => path.join('docs', f)).join(', ')}\n`,
    );
  } finally {
    await c.run();
    await deleteNamespaces([AGENT_NS, nsStaging, nsProd]).catch(() => undefined);
  }
}

main().then(
  () => process.exit(0),
  (e: Error) => {
    process.stderr.write(`ui:screenshots failed: ${e.stack ?? e.message}\n`);
    process.exit(1);
  },
);
