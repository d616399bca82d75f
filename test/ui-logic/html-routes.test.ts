/** The UI's pure parts: escaping, URLs, the SSE frame, the served client script. */
import * as assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { CLIENT_JS } from '../../src/ui/assets/client';
import { Html, escapeHtml, html, join, trusted } from '../../src/ui/html';
import { appUrl, objectUrl, parseRoute, revisionUrl } from '../../src/ui/routes';
import { frame } from '../../src/ui/sse';

describe('ui: html templates', () => {
  test('every interpolated value is escaped, in text and in attributes', () => {
    const name = `<script>alert("x")</script>&'`;
    const out = html`<a title="${name}">${name}</a>`.text;
    assert.equal(
      out,
      '<a title="&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;&amp;&#39;">&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;&amp;&#39;</a>',
    );
    assert.equal(escapeHtml('a<b'), 'a&lt;b');
  });

  test('markup passes only as Html; lists, numbers and empty values render as expected', () => {
    const inner = html`<b>${'<i>'}</b>`;
    assert.ok(inner instanceof Html);
    assert.equal(
      html`<p>${inner}${[1, ' ', html`<br>`]}${undefined}${null}${false}</p>`.text,
      '<p><b>&lt;i&gt;</b>1 <br></p>',
    );
    assert.equal(join(['a', trusted('<hr>'), '<'], ', ').text, 'a, <hr>, &lt;');
  });
});

describe('ui: routes', () => {
  test('object URLs round-trip, core group and cluster-scoped objects included', () => {
    for (const ref of [
      { apiVersion: 'apps/v1', kind: 'Deployment', namespace: 'shop', name: 'web' },
      { apiVersion: 'v1', kind: 'ConfigMap', namespace: 'shop', name: 'a.b' },
      { apiVersion: 'rbac.authorization.k8s.io/v1', kind: 'ClusterRole', name: 'x:y' },
    ]) {
      const url = objectUrl('synthops-system', 'dev.shop', ref);
      assert.deepEqual(parseRoute(url), { page: 'object', namespace: 'synthops-system', name: 'dev.shop', ref });
    }
  });

  test('pages, assets and what is not a page', () => {
    assert.deepEqual(parseRoute('/'), { page: 'overview' });
    assert.deepEqual(parseRoute('/sources'), { page: 'sources' });
    assert.deepEqual(parseRoute('/events'), { page: 'events' });
    assert.deepEqual(parseRoute(appUrl('ns', 'dev.shop')), { page: 'app', namespace: 'ns', name: 'dev.shop' });
    assert.deepEqual(parseRoute('/assets/ui.css'), { page: 'asset', file: 'ui.css' });
    for (const p of ['/apps/ns', '/apps/ns/x/y', '/apps//x', '/apps/%E0%A4%A/x', '/nope'])
      assert.deepEqual(parseRoute(p), { page: 'not-found' }, p);
    assert.equal(revisionUrl('abc'), '/sources#rev-abc');
  });
});

describe('ui: server-sent events and the client script', () => {
  test('a frame is one event line and one data line, whatever the data holds', () => {
    assert.equal(frame('appsyncs', { names: ['a\nb'] }), 'event: appsyncs\ndata: {"names":["a\\nb"]}\n\n');
    assert.equal(frame('x\ny', 1), 'event: xy\ndata: 1\n\n');
  });

  test('the served script is one self-contained, parseable program', () => {
    assert.doesNotThrow(() => new Function(CLIENT_JS));
    assert.match(CLIENT_JS, /^"use strict";\n\(function liveClient\(win\) \{/);
    assert.doesNotMatch(CLIENT_JS, /require\(|exports\./, 'no module references');
  });
});
