/**
 * The synth cache: a re-synth loads and builds only the app modules whose inputs
 * changed, rewrites only the files that changed, and is byte-for-byte the synth
 * without the cache. Which modules were rendered is read from `stats`; no test
 * looks at time.
 */
import * as assert from 'node:assert/strict';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { describe, test, TestContext } from 'node:test';
import { UsageError } from '../../src/model/errors';
import { SynthOptions, SynthResult, synth } from '../../src/synth/synth';
import { RESOURCES, makeRepo, readTree } from '../harness/config-repo';
import { webApp } from './fixtures';

const CACHE = 'node_modules/.cache/synthops/synth';

/** An app whose image and replicas come from a local helper module outside apps/. */
const helperApp = (name: string) => `import { WebService, defineApp } from 'synthops';
import { imageOf } from '../shared/naming';
export default defineApp({
  name: '${name}',
  build: (app) => { new WebService(app, 'web', { port: 8080, image: imageOf('${name}'), resources: ${RESOURCES} }); },
});
`;
const NAMING = (tag: string) =>
  `export function imageOf(name: string): string { return 'registry.example.com/' + name + ':${tag}'; }\n`;

/** An app folder that takes in plain YAML through cdk8s Include. */
const INCLUDE_APP = `import * as path from 'path';
import { Include } from 'cdk8s';
import { defineApp } from 'synthops';
export default defineApp({
  name: 'plain',
  build: (app) => { new Include(app, 'cm', { url: path.join(__dirname, 'configmap.yml') }); },
});
`;
const CONFIGMAP = (value: string) =>
  `apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: settings\ndata:\n  MODE: ${value}\n`;

/** An app that reads a JSON file of the repo with fs (outside its folder). */
const READER_APP = `import * as fs from 'fs';
import * as path from 'path';
import { k8s } from 'cdk8s-plus-28';
import { defineApp } from 'synthops';
export default defineApp({
  name: 'reader',
  build: (app) => {
    const data = JSON.parse(fs.readFileSync(path.join(__dirname, '..', 'config', 'reader.json'), 'utf8'));
    new k8s.KubeConfigMap(app, 'cm', { metadata: { name: 'reader' }, data });
  },
});
`;

function baseRepo(t: TestContext): string {
  return makeRepo(t, {
    'apps/web.ts': webApp('web'),
    'apps/shop.ts': helperApp('shop'),
    'apps/cart.ts': helperApp('cart'),
    'shared/naming.ts': NAMING('1.0.0'),
    'apps/plain/index.ts': INCLUDE_APP,
    'apps/plain/configmap.yml': CONFIGMAP('fast'),
    'apps/reader.ts': READER_APP,
    'config/reader.json': '{ "LEVEL": "1" }\n',
  });
}

const ALL = ['apps/cart.ts', 'apps/plain/index.ts', 'apps/reader.ts', 'apps/shop.ts', 'apps/web.ts'];

function tmpDir(t: TestContext, prefix: string): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), prefix));
  t.after(() => fs.rmSync(dir, { recursive: true, force: true }));
  return dir;
}

/** A synth with the cache, into the repo's dist/. */
function cached(root: string, extra: SynthOptions = {}): SynthResult {
  const r = synth({ root, ...extra });
  assert.deepEqual(r.issues, []);
  return r;
}

/** Asserts that dist/ is byte-for-byte what a synth without the cache writes, and the results agree. */
function assertSameAsCold(t: TestContext, root: string, r: SynthResult, extra: SynthOptions = {}): void {
  const out = path.join(tmpDir(t, 'synthops-cold-'), 'dist');
  const cold = synth({ root, out, cache: false, ...extra });
  assert.equal(cold.stats.cached, 0);
  assert.deepEqual(readTree(r.outDir), readTree(out));
  assert.deepEqual(r.index, cold.index);
  assert.deepEqual(r.issues, cold.issues);
  assert.deepEqual([...r.files.entries()], [...cold.files.entries()]);
}

function edit(root: string, rel: string, content: string): void {
  fs.writeFileSync(path.join(root, rel), content);
}

function rendered(r: SynthResult): string[] {
  return [...r.stats.renderedSources].sort();
}

describe('synth cache', () => {
  test('a re-synth with nothing changed renders nothing, writes only index.json and is byte-identical to a cold synth', (t) => {
    const root = baseRepo(t);
    const first = cached(root);
    assert.deepEqual(rendered(first), ALL);
    assert.ok(fs.existsSync(path.join(root, CACHE)), 'the cache lives under node_modules');
    assertSameAsCold(t, root, first);

    const again = cached(root);
    assert.deepEqual(
      { rendered: again.stats.rendered, cached: again.stats.cached },
      { rendered: 0, cached: ALL.length },
    );
    assert.equal(again.stats.filesWritten, 1, 'only index.json is written; every other file is reused');
    assert.equal(again.stats.filesReused, again.files.size - 1);
    assertSameAsCold(t, root, again);
  });

  test('changing one app re-renders only that app and rewrites only its changed files', (t) => {
    const root = baseRepo(t);
    cached(root);
    edit(root, 'apps/web.ts', webApp('web', 'registry.example.com/web:2.0.0'));
    const r = cached(root);
    assert.deepEqual(rendered(r), ['apps/web.ts']);
    assert.equal(r.stats.cached, ALL.length - 1);
    // The Deployment of web, in dev and prod, plus index.json.
    assert.equal(r.stats.filesWritten, 3);
    assert.match(
      fs.readFileSync(path.join(root, 'dist/prod/web/deployment-web.yaml'), 'utf8'),
      /registry\.example\.com\/web:2\.0\.0/,
    );
    assertSameAsCold(t, root, r);
  });

  test('a changed helper module re-renders exactly the apps that import it', (t) => {
    const root = baseRepo(t);
    cached(root);
    edit(root, 'shared/naming.ts', NAMING('1.1.0'));
    const r = cached(root);
    assert.deepEqual(rendered(r), ['apps/cart.ts', 'apps/shop.ts']);
    assert.match(fs.readFileSync(path.join(root, 'dist/dev/cart/deployment-cart.yaml'), 'utf8'), /cart:1\.1\.0/);
    assertSameAsCold(t, root, r);
  });

  test('a changed included YAML file re-renders the app that includes it', (t) => {
    const root = baseRepo(t);
    cached(root);
    edit(root, 'apps/plain/configmap.yml', CONFIGMAP('slow'));
    const r = cached(root);
    assert.deepEqual(rendered(r), ['apps/plain/index.ts']);
    assert.match(fs.readFileSync(path.join(root, 'dist/dev/plain/configmap-settings.yaml'), 'utf8'), /MODE: slow/);
    assertSameAsCold(t, root, r);
    // A new file in the app's folder counts too (it might be read without being traced).
    edit(root, 'apps/plain/notes.txt', 'hello\n');
    assert.deepEqual(rendered(cached(root)), ['apps/plain/index.ts']);
  });

  test('a YAML file included from outside the app folder is an input of that app', (t) => {
    const root = makeRepo(t, {
      'apps/web.ts': webApp('web'),
      'apps/ext.ts': `import * as path from 'path';
import { Include } from 'cdk8s';
import { defineApp } from 'synthops';
export default defineApp({ name: 'ext', environments: ['dev'], build: (app) => { new Include(app, 'cm', { url: path.join(__dirname, '..', 'manifests', 'cm.yml') }); } });
`,
      'manifests/cm.yml': CONFIGMAP('one'),
    });
    cached(root);
    assert.deepEqual(rendered(cached(root)), []);
    edit(root, 'manifests/cm.yml', CONFIGMAP('two'));
    const r = cached(root);
    assert.deepEqual(rendered(r), ['apps/ext.ts']);
    assert.match(fs.readFileSync(path.join(root, 'dist/dev/ext/configmap-settings.yaml'), 'utf8'), /MODE: two/);
    assertSameAsCold(t, root, r);
  });

  test('a file an app reads with fs, anywhere in the repo, is an input of that app', (t) => {
    const root = baseRepo(t);
    cached(root);
    edit(root, 'config/reader.json', '{ "LEVEL": "2" }\n');
    const r = cached(root);
    assert.deepEqual(rendered(r), ['apps/reader.ts']);
    assert.match(fs.readFileSync(path.join(root, 'dist/dev/reader/configmap-reader.yaml'), 'utf8'), /LEVEL: "2"/);
    assertSameAsCold(t, root, r);
  });

  test('apps/environments.ts and apps/images.yaml are inputs of every app', (t) => {
    const root = baseRepo(t);
    const pins = (tag: string) =>
      `dev:\n  pinned: registry.example.com/pinned:${tag}\nprod:\n  pinned: registry.example.com/pinned:${tag}\n`;
    edit(
      root,
      'apps/pinned.ts',
      `import { WebService, defineApp } from 'synthops';
export default defineApp({ name: 'pinned', build: (app) => { new WebService(app, 'web', { port: 8080, resources: ${RESOURCES} }); } });
`,
    );
    edit(root, 'apps/images.yaml', pins('1.0.0'));
    const all = [...ALL, 'apps/pinned.ts'].sort();
    cached(root);
    edit(
      root,
      'apps/environments.ts',
      `import { defineEnvironments } from 'synthops';
export default defineEnvironments({ dev: { defaults: { replicas: 2 } }, prod: { production: true, defaults: { replicas: 3 } } });
`,
    );
    const envChanged = cached(root);
    assert.deepEqual(rendered(envChanged), all);
    assert.equal(readYamlReplicas(root, 'dev/web/deployment-web.yaml'), 2);
    assertSameAsCold(t, root, envChanged);

    assert.deepEqual(rendered(cached(root)), []);
    edit(root, 'apps/images.yaml', pins('1.1.0'));
    const pinned = cached(root);
    assert.deepEqual(rendered(pinned), all);
    assert.match(fs.readFileSync(path.join(root, 'dist/prod/pinned/deployment-pinned.yaml'), 'utf8'), /pinned:1\.1\.0/);
    assertSameAsCold(t, root, pinned);
  });

  test('other options are other entries: selecting environments renders again, and is still identical', (t) => {
    const root = baseRepo(t);
    cached(root);
    const prod = cached(root, { envs: ['prod'] });
    assert.deepEqual(rendered(prod), ALL);
    assertSameAsCold(t, root, prod, { envs: ['prod'] });
    assert.deepEqual(rendered(cached(root, { envs: ['prod'] })), []);
  });

  test('adding an app renders only the new one; removing one drops its output and its entry', (t) => {
    const root = baseRepo(t);
    cached(root);
    edit(root, 'apps/extra.ts', webApp('extra'));
    const added = cached(root);
    assert.deepEqual(rendered(added), ['apps/extra.ts']);
    assertSameAsCold(t, root, added);
    const entries = () => fs.readdirSync(path.join(root, CACHE, 'modules')).length;
    assert.equal(entries(), ALL.length + 1);

    fs.rmSync(path.join(root, 'apps/extra.ts'));
    const removed = cached(root);
    assert.deepEqual(rendered(removed), []);
    assert.equal(fs.existsSync(path.join(root, 'dist/dev/extra')), false);
    assert.equal(entries(), ALL.length);
    assertSameAsCold(t, root, removed);
  });

  test('cached output is normalised again when a CRD of another app changes its scope', (t) => {
    const crdApp = (scope: string) => `import { ApiObject } from 'cdk8s';
import { defineApp } from 'synthops';
export default defineApp({ name: 'crds', build: (app) => {
  new ApiObject(app, 'crd', { apiVersion: 'apiextensions.k8s.io/v1', kind: 'CustomResourceDefinition', metadata: { name: 'widgets.example.com' },
    spec: { group: 'example.com', scope: '${scope}', names: { kind: 'Widget', plural: 'widgets' },
      versions: [{ name: 'v1', served: true, storage: true, schema: { openAPIV3Schema: { type: 'object', 'x-kubernetes-preserve-unknown-fields': true } } }] } });
} });
`;
    const root = makeRepo(t, {
      'apps/crds.ts': crdApp('Namespaced'),
      'apps/widgets.ts': `import { ApiObject } from 'cdk8s';
import { defineApp } from 'synthops';
export default defineApp({ name: 'widgets', build: (app) => { new ApiObject(app, 'w', { apiVersion: 'example.com/v1', kind: 'Widget', metadata: { name: 'w1' } }); } });
`,
    });
    cached(root);
    assert.match(fs.readFileSync(path.join(root, 'dist/dev/widgets/widget-w1.yaml'), 'utf8'), /namespace: widgets/);
    edit(root, 'apps/crds.ts', crdApp('Cluster'));
    const r = cached(root);
    assert.deepEqual(rendered(r), ['apps/crds.ts'], 'widgets is not loaded again');
    assert.doesNotMatch(fs.readFileSync(path.join(root, 'dist/dev/widgets/widget-w1.yaml'), 'utf8'), /namespace:/);
    assertSameAsCold(t, root, r);
  });

  test('an app file changed while synth runs is keyed on what was loaded, not on what is on disk after', (t) => {
    const version = (v: string, next?: string) => `import * as fs from 'fs';
import { k8s } from 'cdk8s-plus-28';
import { defineApp } from 'synthops';
export default defineApp({ name: 'racy', build: (app) => {
  new k8s.KubeConfigMap(app, 'cm', { metadata: { name: 'racy' }, data: { VERSION: '${v}' } });
  ${next === undefined ? '' : `fs.writeFileSync(__filename, ${JSON.stringify(next)});`}
} });
`;
    // Version 1 saves version 2 over itself while it is being built: an editor saving mid-synth.
    const root = makeRepo(t, { 'apps/racy.ts': version('1', version('2')) });
    cached(root);
    const r = cached(root);
    assert.deepEqual(rendered(r), ['apps/racy.ts']);
    assert.match(fs.readFileSync(path.join(root, 'dist/dev/racy/configmap-racy.yaml'), 'utf8'), /VERSION: "2"/);
    assertSameAsCold(t, root, r);
  });

  test('an app that reads through a child process is never cached', (t) => {
    const root = makeRepo(t, {
      'apps/web.ts': webApp('web'),
      'apps/shell.ts': `import { execFileSync } from 'child_process';
import { k8s } from 'cdk8s-plus-28';
import { defineApp } from 'synthops';
export default defineApp({ name: 'shell', build: (app) => {
  const value = execFileSync(process.execPath, ['-e', 'process.stdout.write("x")'], { encoding: 'utf8' });
  new k8s.KubeConfigMap(app, 'cm', { metadata: { name: 'shell' }, data: { value } });
} });
`,
    });
    cached(root);
    assert.deepEqual(rendered(cached(root)), ['apps/shell.ts']);
  });

  test('a broken app is rendered every time and reported; the others stay cached', (t) => {
    const root = baseRepo(t);
    cached(root);
    edit(
      root,
      'apps/web.ts',
      `import { defineApp } from 'synthops';\nexport default defineApp({ name: 'web', build: () => { throw new Error('nope'); } });\n`,
    );
    for (let i = 0; i < 2; i++) {
      const r = synth({ root });
      assert.equal(r.ok, false);
      assert.deepEqual(
        r.issues.map((x) => `${x.rule} ${x.app}`),
        ['app-error web', 'app-error web'],
      );
      assert.deepEqual(rendered(r), ['apps/web.ts']);
    }
  });

  test('a hand-edited output file is written again, not reused', (t) => {
    const root = baseRepo(t);
    cached(root);
    const file = path.join(root, 'dist/dev/web/service-web.yaml');
    const text = fs.readFileSync(file, 'utf8');
    fs.writeFileSync(file, text.replace('port: 80', 'port: 81'));
    fs.writeFileSync(path.join(root, 'dist/dev/shop/stray.yaml'), 'kind: Stray\n');
    const r = cached(root);
    assert.equal(fs.readFileSync(file, 'utf8'), text);
    assert.equal(fs.existsSync(path.join(root, 'dist/dev/shop/stray.yaml')), false);
    assertSameAsCold(t, root, r);
  });

  test('a corrupt or unreadable cache is a miss, never an error', (t) => {
    const root = baseRepo(t);
    cached(root);
    const dir = path.join(root, CACHE);
    const files = fs.readdirSync(path.join(dir, 'modules')).map((f) => path.join(dir, 'modules', f));
    // Truncated, garbage, valid JSON with a wrong checksum, and a flipped byte.
    fs.writeFileSync(files[0], fs.readFileSync(files[0]).subarray(0, 100));
    fs.writeFileSync(files[1], 'not json at all');
    fs.writeFileSync(files[2], `${'0'.repeat(64)}\n{}`);
    const bytes = fs.readFileSync(files[3]);
    bytes[bytes.length - 20] ^= 1;
    fs.writeFileSync(files[3], bytes);
    for (const f of fs.readdirSync(dir).filter((n) => n.startsWith('out-')))
      fs.writeFileSync(path.join(dir, f), 'garbage');
    const debug: string[] = [];
    const r = synth({ root, debug: (m) => debug.push(m) });
    assert.deepEqual(r.issues, []);
    assert.equal(r.stats.rendered, 4);
    assert.ok(
      debug.some((m) => /unreadable entry/.test(m)),
      debug.join('\n'),
    );
    assertSameAsCold(t, root, r);
    assert.deepEqual(rendered(cached(root)), [], 'the entries were written again');

    // A cache folder that cannot be created: synth goes on without it.
    const blocked = path.join(tmpDir(t, 'synthops-blocked-'), 'file');
    fs.writeFileSync(blocked, 'in the way');
    const unusable = synth({ root, cacheDir: path.join(blocked, 'cache') });
    assert.deepEqual(unusable.issues, []);
    assert.deepEqual(rendered(unusable), ALL);
    assertSameAsCold(t, root, unusable);
  });

  test('cache: false neither reads nor writes the cache', (t) => {
    const root = baseRepo(t);
    const r = synth({ root, cache: false });
    assert.deepEqual(rendered(r), ALL);
    assert.equal(fs.existsSync(path.join(root, CACHE)), false);
    cached(root);
    assert.deepEqual(rendered(synth({ root, cache: false })), ALL);
  });

  test('refuses a cache folder inside the output folder', (t) => {
    const root = makeRepo(t, { 'apps/web.ts': webApp('web') });
    assert.throws(
      () => synth({ root, cacheDir: 'dist/.cache' }),
      (e: Error) => e instanceof UsageError && /must not contain one another/.test(e.message),
    );
  });
});

function readYamlReplicas(root: string, rel: string): number {
  return Number(/replicas: (\d+)/.exec(fs.readFileSync(path.join(root, 'dist', rel), 'utf8'))?.[1]);
}
