/**
 * The agent's render cache with the real kustomize and helm: a render is reused while
 * its inputs (folder content, values, settings, tool, limits) are unchanged and made
 * again when any of them changes; a base outside the source folder is an input too;
 * renders that cannot be keyed (remote bases allowed) are never reused; failures are
 * not kept. Counts, not times, are asserted.
 */
import * as assert from 'node:assert/strict';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { test } from 'node:test';
import { RenderSourceOptions, RenderedSource, renderSource } from '../../src/agent/source/render';
import { RenderCache } from '../../src/render/cache';
import { treeDigest } from '../../src/render/inputs';
import { RenderError } from '../../src/render/run';
import { fixture } from '../harness/render-fixtures';

function checkout(t: { after(fn: () => void): void }, files: Record<string, string>): string {
  const d = fs.mkdtempSync(path.join(os.tmpdir(), 'synthops-render-cache-'));
  t.after(() => fs.rmSync(d, { recursive: true, force: true }));
  write(d, files);
  return d;
}

function write(root: string, files: Record<string, string>): void {
  for (const [rel, content] of Object.entries(files)) {
    fs.mkdirSync(path.dirname(path.join(root, rel)), { recursive: true });
    fs.writeFileSync(path.join(root, rel), content);
  }
}

const configMap = (name: string, value: string) =>
  `apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: ${name}\ndata:\n  value: "${value}"\n`;

function kustomizeFolders(n: number): Record<string, string> {
  const files: Record<string, string> = {};
  for (let i = 0; i < n; i++) {
    files[`k${i}/kustomization.yaml`] = 'resources:\n  - cm.yaml\n';
    files[`k${i}/cm.yaml`] = configMap(`cm-${i}`, 'v1');
  }
  return files;
}

function render(
  dir: string,
  rel: string,
  cache: RenderCache<RenderedSource>,
  extra: Partial<RenderSourceOptions> = {},
): RenderedSource {
  return renderSource({
    checkout: dir,
    path: rel,
    layout: 'kustomize',
    settings: {},
    app: 'a',
    namespace: 'default',
    cache,
    ...extra,
  });
}

test('one changed folder of many is the only one rendered again', (t) => {
  const dir = checkout(t, kustomizeFolders(5));
  const cache = new RenderCache<RenderedSource>();
  const first = [0, 1, 2, 3, 4].map((i) => render(dir, `k${i}`, cache));
  assert.equal(cache.stats.misses, 5);
  assert.equal(cache.stats.hits, 0);
  write(dir, { 'k3/cm.yaml': configMap('cm-3', 'v2') });
  const second = [0, 1, 2, 3, 4].map((i) => render(dir, `k${i}`, cache));
  assert.deepEqual(cache.stats, { ...cache.stats, hits: 4, misses: 6, uncacheable: 0 });
  for (const i of [0, 1, 2, 4]) assert.equal(second[i].text, first[i].text);
  assert.match(second[3].text, /value: v2/);
  assert.match(first[3].text, /value: v1/);
});

test('the same folder in another checkout is a hit (paths are keyed relative to the checkout)', (t) => {
  const files = kustomizeFolders(1);
  const a = checkout(t, files);
  const b = checkout(t, files);
  const cache = new RenderCache<RenderedSource>();
  render(a, 'k0', cache);
  render(b, 'k0', cache);
  assert.equal(cache.stats.hits, 1);
});

test('a base outside the source folder is an input; a file nobody reads next to it is not a folder of the build', (t) => {
  const dir = checkout(t, {
    'base/kustomization.yaml': 'resources:\n  - cm.yaml\n',
    'base/cm.yaml': configMap('cm', 'v1'),
    'overlay/kustomization.yaml': 'resources:\n  - ../base\nnamePrefix: p-\n',
    'elsewhere/notes.txt': 'x',
  });
  const cache = new RenderCache<RenderedSource>();
  render(dir, 'overlay', cache);
  write(dir, { 'elsewhere/notes.txt': 'y' });
  render(dir, 'overlay', cache);
  assert.equal(cache.stats.hits, 1);
  write(dir, { 'base/cm.yaml': configMap('cm', 'v2') });
  const out = render(dir, 'overlay', cache);
  assert.equal(cache.stats.misses, 2);
  assert.match(out.text, /value: v2/);
});

test('settings and limits are part of the key; remote bases allowed are never cached', (t) => {
  const dir = checkout(t, kustomizeFolders(1));
  const cache = new RenderCache<RenderedSource>();
  render(dir, 'k0', cache);
  render(dir, 'k0', cache, { settings: { limits: { timeoutMs: 30_000 } } });
  assert.equal(cache.stats.misses, 2);
  render(dir, 'k0', cache, { settings: { kustomize: { allowRemoteBases: true } } });
  render(dir, 'k0', cache, { settings: { kustomize: { allowRemoteBases: true } } });
  assert.equal(cache.stats.uncacheable, 2);
  assert.equal(cache.stats.hits, 0);
  // A tight output limit is not passed by a render kept under the default one.
  assert.throws(
    () => render(dir, 'k0', cache, { settings: { limits: { maxOutputBytes: 10 } } }),
    (e) => e instanceof RenderError && e.reason === 'output-limit',
  );
});

test('a failed render is not kept; fixing it renders', (t) => {
  const dir = checkout(t, { 'k/kustomization.yaml': 'resources:\n  - missing.yaml\n' });
  const cache = new RenderCache<RenderedSource>();
  assert.throws(() => render(dir, 'k', cache), RenderError);
  assert.throws(() => render(dir, 'k', cache), RenderError);
  assert.equal(cache.stats.entries, 0);
  write(dir, { 'k/missing.yaml': configMap('x', 'v1') });
  assert.match(render(dir, 'k', cache).text, /name: x/);
});

test('helm: values files, inline values and the release name are inputs', (t) => {
  const dir = checkout(t, fixture('argocd-example-apps/helm-guestbook', 'chart'));
  const cache = new RenderCache<RenderedSource>();
  const helm = (helmSettings: object) =>
    renderSource({
      checkout: dir,
      path: 'chart',
      layout: 'helm',
      settings: { helm: helmSettings },
      app: 'a',
      namespace: 'default',
      cache,
    });
  helm({ valuesFiles: ['values-production.yaml'] });
  helm({ valuesFiles: ['values-production.yaml'] });
  assert.equal(cache.stats.hits, 1);
  write(dir, { 'chart/values-production.yaml': 'replicaCount: 7\n' });
  assert.match(helm({ valuesFiles: ['values-production.yaml'] }).text, /replicas: 7/);
  helm({ valuesFiles: ['values-production.yaml'], releaseName: 'other' });
  helm({ valuesFiles: ['values-production.yaml'], values: 'replicaCount: 2\n' });
  assert.equal(cache.stats.misses, 4);
});

test('the least recently used render goes when the cache is full', (t) => {
  const dir = checkout(t, kustomizeFolders(3));
  const one = render(dir, 'k0', new RenderCache()).text.length;
  const cache = new RenderCache<RenderedSource>({ maxBytes: one * 2 });
  render(dir, 'k0', cache);
  render(dir, 'k1', cache);
  render(dir, 'k0', cache); // k0 is now the most recent
  render(dir, 'k2', cache); // k1 goes
  assert.equal(cache.stats.entries, 2);
  render(dir, 'k0', cache);
  assert.equal(cache.stats.hits, 2);
  render(dir, 'k1', cache);
  assert.equal(cache.stats.hits, 2);
});

test('a symlink to a folder makes a tree undigestable; a missing folder has a digest', (t) => {
  const dir = checkout(t, { 'real/a.yaml': 'x' });
  fs.symlinkSync(path.join(dir, 'real'), path.join(dir, 'tree-link'));
  fs.mkdirSync(path.join(dir, 'holder'));
  fs.symlinkSync(path.join(dir, 'real'), path.join(dir, 'holder', 'sub'));
  assert.equal(treeDigest(path.join(dir, 'holder')), undefined);
  assert.equal(typeof treeDigest(path.join(dir, 'nope')), 'string');
  assert.notEqual(treeDigest(path.join(dir, 'real')), treeDigest(path.join(dir, 'nope')));
});
