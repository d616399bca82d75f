/// <reference lib="dom" />
/**
 * `synthops ui` as a user runs it (bin/synthops, the built lib/), and the pages'
 * accessibility basics in a browser: landmarks, labels, keyboard use, both schemes.
 */
import { spawn, spawnSync } from 'child_process';
import * as fs from 'fs';
import * as http from 'http';
import * as path from 'path';
import * as assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import * as YAML from 'yaml';
import { AppSyncStatus, StatusStore } from '../../src/agent/state/status-store';
import { testClient } from '../harness/agent';
import { testKubeconfig, testNamespace } from '../harness/cluster';
import { REPO_ROOT } from '../harness/config-repo';
import { TestBrowser, foreignRequests } from './support/browser';
import { startTestUi } from './support/ui';

const CLI = path.join(REPO_ROOT, 'bin', 'synthops');

function status(reason: string, ok: boolean): AppSyncStatus {
  const now = new Date().toISOString();
  return {
    lastSyncTime: now,
    conditions: [
      { type: 'Ready', status: ok ? 'True' : 'False', reason, message: `${reason} message`, lastTransitionTime: now },
    ],
  };
}

describe('ui: the command and accessibility', () => {
  test('synthops ui serves on 127.0.0.1, prints its URL, and stops cleanly on SIGTERM', async (t) => {
    const ns = await testNamespace(t, 'ui');
    const kubeconfig = await testKubeconfig();
    const context = (YAML.parse(fs.readFileSync(kubeconfig, 'utf8')) as { 'current-context': string })[
      'current-context'
    ];
    const child = spawn(
      process.execPath,
      [CLI, 'ui', '--port', '0', '--kubeconfig', kubeconfig, '--context', context, '--agent-namespace', ns],
      { stdio: ['ignore', 'pipe', 'pipe'] },
    );
    t.after(() => {
      child.kill('SIGKILL');
    });
    let out = '';
    const url = await new Promise<string>((resolve, reject) => {
      child.stdout.on('data', (c: Buffer) => {
        out += c.toString();
        const m = /^synthops ui: (http:\/\/127\.0\.0\.1:\d+\/)$/m.exec(out);
        if (m) resolve(m[1]);
      });
      child.on('exit', (code) => reject(new Error(`exited ${code}: ${out}`)));
    });
    const page = await fetch(url);
    assert.equal(page.status, 200);
    assert.match(page.headers.get('content-security-policy') ?? '', /default-src 'none'; script-src 'self'/);
    assert.match(await page.text(), new RegExp(`context ${context} · namespace ${ns}`));
    assert.equal((await fetch(url, { method: 'POST' })).status, 405, 'read-only');
    // fetch() may not set Host; a plain request can, as a rebinding page's would arrive.
    const rebound = await new Promise<number>((resolve, reject) => {
      http
        .get(url, { headers: { Host: 'evil.example.com' } }, (res) => {
          res.resume();
          resolve(res.statusCode ?? 0);
        })
        .on('error', reject);
    });
    assert.equal(rebound, 421, 'other host names are refused (DNS rebinding)');
    const code = await new Promise<number | null>((resolve) => {
      child.on('exit', resolve);
      child.kill('SIGTERM');
    });
    assert.equal(code, 0);

    const bad = spawnSync(process.execPath, [CLI, 'ui', '--port', 'eighty'], { encoding: 'utf8' });
    assert.equal(bad.status, 2);
    assert.match(bad.stderr, /--port: "eighty" is not a port number/);
    assert.equal(
      spawnSync(process.execPath, [CLI, 'ui', '--repo', 'file:///x'], { encoding: 'utf8' }).status,
      2,
      '--repo needs --branch',
    );
  });

  test('landmarks, labels and keyboard: skip link, navigation, filter by keyboard alone, visible focus; light and dark', async (t) => {
    const ns = await testNamespace(t, 'ui');
    const admin = await testClient(t);
    const store = new StatusStore(admin, ns);
    await store.ensureCrd();
    for (const [app, reason, ok] of [
      ['web', 'ReconciliationSucceeded', true],
      ['api', 'HealthCheckFailed', false],
    ] as const) {
      await store.claim('dev', app, 'ui-test');
      await store.writeStatus('dev', app, status(reason, ok));
    }
    const ui = await startTestUi(t, { namespace: ns });
    const browser = await TestBrowser.launch(t);
    const backgrounds: string[] = [];
    for (const scheme of ['light', 'dark'] as const) {
      const w = await browser.page(scheme);
      const { page } = w;
      await page.goto(ui.url);
      for (const role of ['banner', 'navigation', 'main', 'contentinfo', 'search'] as const)
        assert.ok(await page.getByRole(role).first().isVisible(), `landmark ${role}`);
      for (const label of ['Search', 'State', 'Environment'])
        assert.equal(await page.getByLabel(label, { exact: true }).count(), 1, `labelled ${label}`);
      assert.equal(await page.locator('th:not([scope])').count(), 0, 'every header cell has a scope');

      await page.keyboard.press('Tab');
      assert.equal(await page.evaluate(() => document.activeElement?.textContent), 'Skip to content');
      await page.keyboard.press('Enter');
      assert.equal(await page.evaluate(() => document.activeElement?.id), 'main');
      await page.getByLabel('Search', { exact: true }).focus();
      const outline = await page.evaluate(() => getComputedStyle(document.activeElement!).outlineStyle);
      assert.equal(outline, 'solid', 'focus is visible');
      await page.keyboard.type('api');
      await page.keyboard.press('Enter');
      await page.waitForURL(/q=api/);
      assert.deepEqual(
        await page.locator('table.apps tbody tr').evaluateAll((rows) => rows.map((r) => r.getAttribute('data-app'))),
        ['dev.api'],
      );
      backgrounds.push(await page.evaluate(() => getComputedStyle(document.documentElement).backgroundColor));
      assert.deepEqual(w.problems, []);
      assert.deepEqual(foreignRequests(w), []);
    }
    assert.notEqual(backgrounds[0], backgrounds[1], 'the dark scheme follows the system setting');
  });
});
