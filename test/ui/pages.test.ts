/// <reference lib="dom" />
/**
 * The dashboard in a real browser against the real control plane, with the real agent
 * reconciling a local deploy repo: an app that never rolls out, drift on a suspended
 * app and its object diff, a held prune approved the way the page says. State changes
 * must reach the open page within 2 s, without a reload.
 */
import { execFileSync } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import * as assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import type { Page } from 'playwright-core';
import { AppSync, StatusStore } from '../../src/agent/state/status-store';
import { Manifest, refOf } from '../../src/model/manifest';
import { configMap, synthopsTree, testClient, testObjects } from '../harness/agent';
import { eventually, testNamespace } from '../harness/cluster';
import { startController } from '../harness/controller';
import { TestRemote } from '../harness/git';
import { TestBrowser, WatchedPage, foreignRequests } from './support/browser';
import { startTestUi } from './support/ui';

/** What the brief allows between a status change in the API and the open page showing it. */
const LIVE_MS = 2000;

function ready(s: AppSync | undefined) {
  return s?.status?.conditions?.find((c) => c.type === 'Ready');
}

/** A Deployment that can never roll out: its Pods fit no Node, and its progress deadline is one second. */
function neverRollsOut(ns: string): Manifest {
  return {
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: { name: 'web', namespace: ns },
    spec: {
      replicas: 1,
      progressDeadlineSeconds: 1,
      selector: { matchLabels: { app: 'stuck-web' } },
      template: {
        metadata: { labels: { app: 'stuck-web' } },
        spec: {
          nodeSelector: { 'synthops.dev/no-such-node': 'true' },
          containers: [{ name: 'web', image: 'registry.invalid/synthops/does-not-exist:1.0.0' }],
        },
      },
    },
  };
}

/** A claim no provisioner will ever bind. */
function unbindable(ns: string): Manifest {
  return {
    apiVersion: 'v1',
    kind: 'PersistentVolumeClaim',
    metadata: { name: 'data', namespace: ns },
    spec: {
      accessModes: ['ReadWriteOnce'],
      storageClassName: 'synthops-test-none',
      resources: { requests: { storage: '1Gi' } },
    },
  };
}

const SCRIPT = '<script>window.__pwned = 1</script>';

/** Waits (in the page) until `fn(arg)` is true, at most `ms`. */
async function shows<A>(page: Page, what: string, fn: (arg: A) => boolean, arg: A, ms = LIVE_MS): Promise<void> {
  try {
    await page.waitForFunction(fn as (arg: unknown) => boolean, arg as unknown, { timeout: ms, polling: 50 });
  } catch (e) {
    throw new Error(`the page did not show ${what} within ${ms} ms: ${(e as Error).message.split('\n')[0]}`);
  }
}

function rowState(a: { app: string; state: string; text?: string }): boolean {
  const row = document.querySelector(`tr[data-app="${a.app}"]`);
  return !!row && row.getAttribute('data-state') === a.state && (!a.text || (row.textContent ?? '').includes(a.text));
}

function clean(w: WatchedPage): void {
  assert.deepEqual(w.problems, [], 'no console errors, page errors or dialogs');
  assert.deepEqual(foreignRequests(w), [], 'every request went to 127.0.0.1');
  assert.ok(w.requests.length > 0);
}

describe('ui: pages in a real browser, with the real agent', () => {
  test('an app that never rolls out and drift on a suspended app: overview, app page, object diff, all live', async (t) => {
    const ns = await testNamespace(t, 'ui');
    const remote = TestRemote.create(t);
    remote.publish(
      'deploy',
      synthopsTree('dev', {
        cfg: [configMap('settings', ns, { greeting: SCRIPT, level: 'info' })],
        stuck: [neverRollsOut(ns), unbindable(ns)],
      }),
    );
    const ui = await startTestUi(t, { namespace: ns, repo: remote.fileUrl, branch: 'deploy' });
    const browser = await TestBrowser.launch(t);
    const w = await browser.page();
    const { page } = w;
    await page.goto(ui.url);
    assert.equal(await page.title(), 'Apps · synthops');
    await page.evaluate(() => {
      (window as unknown as { __sameDocument: boolean }).__sameDocument = true;
    });

    await startController(t, { repo: remote.fileUrl, branch: 'deploy', ns, retryBaseMs: 60_000 });
    const store = new StatusStore(await testClient(t), ns);

    await eventually(
      'cfg Ready in the API',
      async () => (ready(await store.get('dev', 'cfg'))?.status === 'True' ? true : undefined),
      120_000,
    );
    await shows(page, 'cfg Ready', rowState, { app: 'dev.cfg', state: 'Ready', text: 'ReconciliationSucceeded' });
    const stuck = await eventually(
      'stuck Degraded in the API',
      async () => {
        const s = await store.get('dev', 'stuck');
        return ready(s)?.reason === 'HealthCheckFailed' ? s : undefined;
      },
      120_000,
    );
    assert.match(ready(stuck)!.message, /rollout stalled/);
    await shows(page, 'stuck Degraded with its reason', rowState, {
      app: 'dev.stuck',
      state: 'Degraded',
      text: 'rollout stalled',
    });
    assert.equal(
      await page.evaluate(() => (window as unknown as { __sameDocument?: boolean }).__sameDocument),
      true,
      'updated without a reload',
    );
    // Worst first: the degraded app leads the table.
    assert.equal(await page.locator('table.apps tbody tr').first().getAttribute('data-app'), 'dev.stuck');
    assert.match(await page.locator('ul.counts').innerText(), /1\s*Degraded/);

    // Without JavaScript the overview works the same, filter and search included.
    const nojs = await browser.page('light', { javaScript: false });
    const plain = nojs.page;
    await plain.goto(`${ui.url}?state=Degraded&q=stalled`);
    assert.deepEqual(
      await plain.locator('table.apps tbody tr').evaluateAll((rows) => rows.map((r) => r.getAttribute('data-app'))),
      ['dev.stuck'],
    );
    await plain.getByLabel('Search', { exact: true }).fill('');
    await plain.getByLabel('State', { exact: true }).selectOption('Ready');
    await plain.getByRole('button', { name: 'Apply' }).click();
    await plain.waitForURL(/state=Ready/);
    assert.deepEqual(
      await plain.locator('table.apps tbody tr').evaluateAll((rows) => rows.map((r) => r.getAttribute('data-app'))),
      ['dev.cfg'],
    );
    assert.deepEqual(nojs.problems, []);

    // The app page: why it is stuck, object by object, with the owner tree.
    await page.getByRole('link', { name: 'stuck', exact: true }).click();
    await page.waitForURL(`${ui.url}apps/${ns}/dev.stuck`);
    const objects = page.locator('main');
    await shows(
      page,
      'the Pod under its ReplicaSet under the Deployment',
      () => !!document.querySelector('.tree > li > ul > li > ul > li'),
      undefined,
      15_000,
    );
    const text = await objects.innerText();
    assert.match(text, new RegExp(`${ns}/web\\s+Degraded\\s+rollout stalled`));
    assert.match(text, /not scheduled: Unschedulable/);
    assert.match(text, new RegExp(`${ns}/data\\s+Progressing\\s+claim is Pending`));
    assert.match(text, /HealthCheckFailed/);
    assert.match(
      await page.locator('h2:has-text("Recent events") + p, h2:has-text("Recent events") + table').innerText(),
      /Warning\s+HealthCheckFailed/,
    );

    // Drift: suspend cfg, change its ConfigMap by hand; the agent reports and leaves it.
    const admin = await testClient(t);
    await admin.request('PATCH', `/apis/synthops.dev/v1alpha1/namespaces/${ns}/appsyncs/dev.cfg`, {
      body: { metadata: { annotations: { 'synthops.dev/suspend': 'true' } } },
      contentType: 'application/merge-patch+json',
    });
    await page.goto(`${ui.url}apps/${ns}/dev.cfg`);
    await page.evaluate(() => {
      (window as unknown as { __sameDocument: boolean }).__sameDocument = true;
    });
    await admin.request('PATCH', `/api/v1/namespaces/${ns}/configmaps/settings`, {
      body: { data: { greeting: 'edited by hand' } },
      contentType: 'application/merge-patch+json',
      query: { fieldManager: 'kubectl-edit' },
    });
    await eventually(
      'cfg suspended with drift in the API',
      async () => {
        const s = await store.get('dev', 'cfg');
        return ready(s)?.reason === 'Suspended' && (s?.status?.drift ?? []).length > 0 ? true : undefined;
      },
      120_000,
    );
    await shows(
      page,
      'cfg Suspended with its drift',
      () =>
        /Suspended/.test(document.querySelector('[data-field="state"]')?.textContent ?? '') &&
        !!document.querySelector('#drift-h'),
      undefined,
    );
    assert.equal(
      await page.evaluate(() => (window as unknown as { __sameDocument?: boolean }).__sameDocument),
      true,
      'updated without a reload',
    );
    assert.deepEqual(
      (await (await testObjects(t)).get(refOf(configMap('settings', ns))))?.data,
      { greeting: 'edited by hand', level: 'info' },
      'nothing written while suspended',
    );

    // The object page: the owned fields, desired against live, coloured; the field owners.
    await page.getByRole('link', { name: `${ns}/settings` }).click();
    await page.waitForURL(/\/objects\//);
    assert.match(await page.locator('h1').innerText(), new RegExp(`ConfigMap ${ns}/settings`));
    const diff = page.locator('pre.diff');
    assert.equal(await diff.locator('span.del').innerText(), '-   greeting: edited by hand');
    assert.equal(
      await diff.locator('span.add').innerText(),
      `+   greeting: ${SCRIPT}`,
      'the ConfigMap value shows as text',
    );
    assert.match(await page.locator('main').innerText(), /server-side dry-run apply/);
    assert.match(await page.locator('table').innerText(), /kubectl-edit\s+Update/);
    const colours = await diff.evaluate((el) => [
      getComputedStyle(el.querySelector('.add')!).backgroundColor,
      getComputedStyle(el.querySelector('.del')!).backgroundColor,
      getComputedStyle(el.querySelector('span:not(.add):not(.del)')!).backgroundColor,
    ]);
    assert.equal(
      new Set(colours).size,
      3,
      `added, removed and unchanged lines are coloured apart: ${colours.join(' ')}`,
    );
    assert.equal(
      await page.evaluate(() => (window as unknown as { __pwned?: number }).__pwned),
      undefined,
      'no injected script ran',
    );

    clean(w);
  });

  test('a held prune, and approving it exactly as the page says', async (t) => {
    const ns = await testNamespace(t, 'ui');
    const remote = TestRemote.create(t);
    remote.publish(
      'deploy',
      synthopsTree('dev', { trim: [configMap('a', ns), configMap('b', ns), configMap('c', ns)] }),
    );
    await startController(t, { repo: remote.fileUrl, branch: 'deploy', ns, intervalMs: 2000 });
    const store = new StatusStore(await testClient(t), ns);
    await eventually(
      'trim Ready in the API',
      async () => (ready(await store.get('dev', 'trim'))?.status === 'True' ? true : undefined),
      60_000,
    );

    const ui = await startTestUi(t, { namespace: ns, repo: remote.fileUrl, branch: 'deploy' });
    const browser = await TestBrowser.launch(t);
    const w = await browser.page('dark');
    const { page } = w;
    await page.goto(`${ui.url}apps/${ns}/dev.trim`);
    await page.evaluate(() => {
      (window as unknown as { __sameDocument: boolean }).__sameDocument = true;
    });
    assert.match(await page.locator('[data-field="state"]').innerText(), /Ready/);

    remote.publish('deploy', synthopsTree('dev', { trim: [configMap('a', ns)] }));
    await eventually(
      'trim PruneHeld in the API',
      async () => (ready(await store.get('dev', 'trim'))?.reason === 'PruneHeld' ? true : undefined),
      60_000,
    );
    await shows(
      page,
      'the held prune',
      () =>
        /Prune held/.test(document.querySelector('[data-field="state"]')?.textContent ?? '') &&
        !!document.querySelector('#held-h'),
      undefined,
    );
    const panel = page.locator('section[aria-labelledby="held-h"]');
    assert.match(
      await panel.innerText(),
      new RegExp(`ConfigMap ${ns}/b: the revision removes 2 of 3 objects of app "trim", more than half`),
    );
    assert.match(await panel.innerText(), /Allow-Prune: trim/);
    assert.equal(await page.evaluate(() => (window as unknown as { __sameDocument?: boolean }).__sameDocument), true);

    // A held object's page says it left Git.
    const objectLink = page.getByRole('link', { name: `${ns}/b` });
    await objectLink.click();
    await page.waitForURL(/\/objects\//);
    assert.match(await page.locator('main').innerText(), /not in the deploy branch at [0-9a-f]{12} any more/);
    await page.goBack();

    // Run the page's own commands, as a user would paste them.
    const commands = await page.locator('section[aria-labelledby="held-h"] pre').first().innerText();
    assert.match(commands, /--trailer "Allow-Prune: trim"/);
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'synthops-ui-approve-'));
    t.after(() => fs.rmSync(dir, { recursive: true, force: true }));
    execFileSync('bash', ['-euc', commands], {
      cwd: dir,
      stdio: 'pipe',
      env: {
        ...process.env,
        GIT_AUTHOR_NAME: 'op',
        GIT_AUTHOR_EMAIL: 'op@example.com',
        GIT_COMMITTER_NAME: 'op',
        GIT_COMMITTER_EMAIL: 'op@example.com',
      },
    });
    await page.evaluate(() => {
      (window as unknown as { __sameDocument: boolean }).__sameDocument = true;
    });

    await eventually(
      'trim Ready again in the API, b and c pruned',
      async () => {
        const s = await store.get('dev', 'trim');
        return ready(s)?.status === 'True' && s?.status?.inventory?.length === 1 ? true : undefined;
      },
      60_000,
    );
    await shows(
      page,
      'Ready again, nothing held',
      () =>
        /Ready/.test(document.querySelector('[data-field="state"]')?.textContent ?? '') &&
        !document.querySelector('#held-h'),
      undefined,
    );
    assert.equal(
      await page.evaluate(() => (window as unknown as { __sameDocument?: boolean }).__sameDocument),
      true,
      'updated without a reload',
    );
    assert.equal(await (await testObjects(t)).get(refOf(configMap('b', ns))), undefined, 'the approved prune ran');
    clean(w);
  });
});
