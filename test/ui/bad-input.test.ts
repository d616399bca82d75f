/// <reference lib="dom" />
/**
 * Bad input in a real browser: HTML in an app name, a status message and an Event
 * shows as text; a user who may not read AppSyncs is told which permission is missing;
 * an API server that goes away shows a banner and the page recovers by itself.
 */
import * as assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import type { KubeClient } from '../../src/kube/client';
import { AppSync, AppSyncStatus, StatusStore } from '../../src/agent/state/status-store';
import { testClient } from '../harness/agent';
import { eventually, testNamespace } from '../harness/cluster';
import { TestBrowser, WatchedPage, foreignRequests } from './support/browser';
import { ApiProxy, powerlessKubeconfig, startTestUi } from './support/ui';

const BASE = '/apis/synthops.dev/v1alpha1';

/** Creates an AppSync with a status directly (no agent), as the bench does at scale. */
async function putAppSync(
  client: KubeClient,
  ns: string,
  name: string,
  app: string,
  status: AppSyncStatus,
): Promise<AppSync> {
  const created = await client.request<AppSync>('POST', `${BASE}/namespaces/${ns}/appsyncs`, {
    body: {
      apiVersion: 'synthops.dev/v1alpha1',
      kind: 'AppSync',
      metadata: { name, namespace: ns },
      spec: { app, env: 'dev' },
    },
  });
  await setStatus(client, ns, name, status);
  return created;
}

async function setStatus(client: KubeClient, ns: string, name: string, status: AppSyncStatus): Promise<void> {
  await client.request('PATCH', `${BASE}/namespaces/${ns}/appsyncs/${name}/status`, {
    body: { status },
    contentType: 'application/merge-patch+json',
  });
}

function readyStatus(reason: string, message: string, ok = false): AppSyncStatus {
  const now = new Date().toISOString();
  return {
    lastSyncTime: now,
    conditions: [{ type: 'Ready', status: ok ? 'True' : 'False', reason, message, lastTransitionTime: now }],
  };
}

function clean(w: WatchedPage): void {
  assert.deepEqual(w.problems, [], 'no console errors, page errors or dialogs');
  assert.deepEqual(foreignRequests(w), [], 'every request went to 127.0.0.1');
}

describe('ui: bad input', () => {
  test('HTML in an app name, a message and an Event is shown as text, never run', async (t) => {
    const ns = await testNamespace(t, 'ui');
    const admin = await testClient(t);
    const store = new StatusStore(admin, ns);
    await store.ensureCrd();
    const name = '<script>window.__pwned = "name"</script>';
    const message = '<img src="/x" onerror="window.__pwned = \'message\'">';
    const sync = await putAppSync(admin, ns, 'dev.xss', name, {
      ...readyStatus('HealthCheckFailed', message),
      errors: ['<b>bold</b> error'],
    });
    await store.event(sync, 'Warning', 'HealthCheckFailed', '<script>window.__pwned = "event"</script>');

    const ui = await startTestUi(t, { namespace: ns });
    const browser = await TestBrowser.launch(t);
    const w = await browser.page();
    await w.page.goto(ui.url);
    // Pages render from the shared watch: loading the overview again asks the API server nothing.
    const gets = ui.client.counts.GET;
    for (let i = 0; i < 3; i++) await w.page.reload();
    assert.equal(ui.client.counts.GET, gets, 'no API request per page view');
    await eventually(
      'one event stream for the one open page',
      async () => (ui.server.streams === 1 ? true : undefined),
      5000,
    );
    const row = w.page.locator('tr[data-app="dev.xss"]');
    assert.equal(await row.locator('td').first().innerText(), name);
    assert.equal(await row.locator('td.msg').innerText(), message);
    assert.equal(await w.page.locator('main img, main script, main b').count(), 0, 'no element came from the data');

    await row.getByRole('link').click();
    await w.page.waitForURL(/\/apps\//);
    assert.equal(await w.page.locator('h1').innerText(), `${name} dev`);
    assert.match(await w.page.locator('main').innerText(), /<script>window.__pwned = "event"<\/script>/);
    assert.match(await w.page.locator('main').innerText(), /<b>bold<\/b> error/);
    assert.equal(await w.page.locator('main img, main script, main b').count(), 0);
    assert.equal(await w.page.evaluate(() => (window as unknown as { __pwned?: string }).__pwned), undefined);
    assert.equal(await w.page.title(), `${name} (dev) · synthops`);
    clean(w);
  });

  test('a user who may not list AppSyncs is told which permission is missing', async (t) => {
    const ns = await testNamespace(t, 'ui');
    const admin = await testClient(t);
    await new StatusStore(admin, ns).ensureCrd();
    const kubeconfig = await powerlessKubeconfig(t, admin, ns, 'nobody');
    const ui = await startTestUi(t, { namespace: ns, kubeconfig });
    const browser = await TestBrowser.launch(t);
    const w = await browser.page();
    await w.page.goto(ui.url);
    const alert = w.page.getByRole('alert');
    await alert.waitFor({ timeout: 10_000 });
    const text = await alert.innerText();
    assert.match(
      text,
      new RegExp(
        `Permission denied: your Kubernetes user may not list appsyncs\\.synthops\\.dev in namespace ${ns}\\.`,
      ),
    );
    assert.match(
      text,
      new RegExp(
        `kubectl create role -n ${ns} synthops-viewer --verb=get,list,watch --resource=appsyncs\\.synthops\\.dev`,
      ),
    );
    assert.match(text, new RegExp(`system:serviceaccount:${ns}:nobody`), "the API server's own words name the user");
    assert.equal(await w.page.locator('table.apps').count(), 0, 'not an empty table');
    clean(w);
  });

  test('an unreachable API server shows a banner, and the page recovers by itself', async (t) => {
    const ns = await testNamespace(t, 'ui');
    const admin = await testClient(t);
    await new StatusStore(admin, ns).ensureCrd();
    await putAppSync(
      admin,
      ns,
      'dev.web',
      'web',
      readyStatus('ReconciliationSucceeded', 'applied revision 0123456789ab', true),
    );
    const { proxy, kubeconfig } = await ApiProxy.start(t);
    const ui = await startTestUi(t, { namespace: ns, kubeconfig });
    const browser = await TestBrowser.launch(t);
    const w = await browser.page();
    await w.page.goto(ui.url);
    await w.page.locator('tr[data-app="dev.web"][data-state="Ready"]').waitFor({ timeout: 10_000 });
    const banner = w.page.locator('#banner');
    assert.equal(await banner.isVisible(), false);

    await proxy.stop();
    await banner.waitFor({ state: 'visible', timeout: 15_000 });
    assert.match(
      await banner.innerText(),
      /Cannot reach the Kubernetes API server .*Showing what was last read; retrying\./,
    );
    assert.equal(await w.page.locator('tr[data-app="dev.web"]').count(), 1, 'the last read state stays on the page');

    await setStatus(admin, ns, 'dev.web', readyStatus('HealthCheckFailed', 'Deployment web: rollout stalled'));
    await proxy.resume();
    await banner.waitFor({ state: 'hidden', timeout: 15_000 });
    await w.page.locator('tr[data-app="dev.web"][data-state="Degraded"]').waitFor({ timeout: 5_000 });
    clean(w);
  });
});
