import { execFileSync } from 'child_process';
import { createHash } from 'crypto';
import * as assert from 'node:assert/strict';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { describe, test, TestContext } from 'node:test';
import * as YAML from 'yaml';
import { UsageError } from '../../src/model/errors';
import { APP_LABEL, ENV_LABEL } from '../../src/model/keys';
import { SynthIndex } from '../../src/model/index-file';
import { synth } from '../../src/synth/synth';
import { REPO_ROOT, linkNodeModules, makeRepo, readTree } from '../harness/config-repo';
import { webApp } from './fixtures';

function tmpOut(t: TestContext): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'synthops-out-'));
  t.after(() => fs.rmSync(dir, { recursive: true, force: true }));
  return path.join(dir, 'dist');
}

/** A copy of this repo's config (apps, imports, project files) in another folder, as its own git repo. */
function copyOfExampleRepo(t: TestContext): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'synthops-copy-'));
  t.after(() => fs.rmSync(dir, { recursive: true, force: true }));
  for (const entry of ['apps', 'imports', 'cdk8s.yaml']) {
    fs.cpSync(path.join(REPO_ROOT, entry), path.join(dir, entry), { recursive: true });
  }
  fs.writeFileSync(path.join(dir, 'package.json'), '{ "name": "config-copy", "private": true }\n');
  linkNodeModules(dir);
  const git = (...args: string[]) =>
    execFileSync('git', ['-c', 'user.name=t', '-c', 'user.email=t@example.com', ...args], { cwd: dir });
  git('init', '-q');
  git('add', 'apps', 'imports');
  git('commit', '-qm', 'another source commit');
  return dir;
}

function load(out: string, rel: string): Record<string, any> {
  return YAML.parse(fs.readFileSync(path.join(out, rel), 'utf8'));
}

describe('synth', () => {
  test('renders the example apps: the seed web app in three environments, the CRD app, the Include app and the agent', (t) => {
    const out = tmpOut(t);
    const r = synth({ root: REPO_ROOT, out });
    assert.deepEqual(r.issues, []);
    const index = JSON.parse(fs.readFileSync(path.join(out, 'index.json'), 'utf8')) as SynthIndex;
    assert.deepEqual(index.environments, ['dev', 'staging', 'prod']);
    assert.deepEqual(
      index.apps.map((a) => `${a.env}/${a.app}`),
      [
        'dev/greetings',
        'dev/seed-plain',
        'dev/simple-web-app',
        'dev/synthops-agent',
        'staging/greetings',
        'staging/simple-web-app',
        'staging/synthops-agent',
        'prod/greetings',
        'prod/simple-web-app',
        'prod/synthops-agent',
      ],
    );
    for (const env of ['dev', 'staging', 'prod']) {
      const dep = load(out, `${env}/simple-web-app/deployment-simple-web-app.yaml`);
      const c = dep.spec.template.spec.containers[0];
      assert.equal(c.image, 'docker.io/kostiscodefresh/simple-web-app:3d9b390');
      assert.deepEqual(c.ports, [{ containerPort: 8080 }]);
      assert.deepEqual(dep.metadata.labels, { [APP_LABEL]: 'simple-web-app', [ENV_LABEL]: env });
      const svc = load(out, `${env}/simple-web-app/service-simple-web-app.yaml`);
      assert.deepEqual(svc.spec.selector, { app: 'trivial-go-web-app' });
      assert.equal(svc.spec.ports[0].port, 80);
      assert.equal(svc.spec.ports[0].targetPort, 8080);
    }
    assert.equal(load(out, 'dev/simple-web-app/deployment-simple-web-app.yaml').spec.replicas, 1);
    assert.equal(load(out, 'prod/simple-web-app/deployment-simple-web-app.yaml').spec.replicas, 3);
    assert.equal(
      load(out, 'prod/simple-web-app/ingress-simple-web-app.yaml').spec.rules[0].host,
      'simple-web-app.example.com',
    );
    assert.equal(fs.existsSync(path.join(out, 'dev/simple-web-app/ingress-simple-web-app.yaml')), false);

    const crd = load(out, 'dev/greetings/customresourcedefinition-greetings.examples.synthops.dev.yaml');
    assert.equal(crd.metadata.namespace, undefined, 'cluster-scoped objects carry no namespace');
    const greeting = load(out, 'prod/greetings/greeting-hello.yaml');
    assert.equal(greeting.apiVersion, 'examples.synthops.dev/v1alpha1');
    assert.deepEqual(greeting.spec, { language: 'en', message: 'Hello from prod' });
    assert.equal(greeting.metadata.namespace, 'greetings');

    const plain = load(out, 'dev/seed-plain/deployment-simple-deployment.yaml');
    assert.equal(plain.metadata.namespace, 'seed-plain');
    assert.equal(plain.metadata.labels[APP_LABEL], 'seed-plain');
    assert.equal(load(out, 'dev/seed-plain/service-simple-service.yaml').spec.selector.app, 'trivial-go-web-app');
  });

  test('the agent reads cluster-wide only the cluster-scoped kinds its environment contains (its apps here have no ServiceAccount, and it has no permissions to write them)', (t) => {
    const out = tmpOut(t);
    synth({ root: REPO_ROOT, out });
    const role = load(out, 'dev/synthops-agent/clusterrole-synthops-agent-synthops-system.yaml');
    const read = role.rules
      .filter(
        (r: { verbs: string[]; resourceNames?: string[] }) => r.verbs.join() === 'get,list,watch' && !r.resourceNames,
      )
      .map((r: { apiGroups: string[]; resources: string[] }) => `${r.apiGroups[0]}:${r.resources.join(',')}`);
    assert.deepEqual(read, [
      ':namespaces',
      'apiextensions.k8s.io:customresourcedefinitions',
      'rbac.authorization.k8s.io:clusterrolebindings,clusterroles',
    ]);
    // Its own objects in its namespace it reads there, and writes by name.
    const own = load(out, 'dev/synthops-agent/role-synthops-agent.yaml');
    assert.ok(
      own.rules.some(
        (r: { resources: string[]; resourceNames?: string[] }) =>
          r.resources.includes('deployments') && r.resourceNames?.join() === 'synthops-agent',
      ),
    );
  });

  test('index.json lists every file with its sha256 and every object of every app', (t) => {
    const out = tmpOut(t);
    synth({ root: REPO_ROOT, out });
    const index = JSON.parse(fs.readFileSync(path.join(out, 'index.json'), 'utf8')) as SynthIndex;
    const onDisk = [...readTree(out).keys()].filter((f) => f !== 'index.json').sort();
    assert.deepEqual(index.files.map((f) => f.path).sort(), onDisk);
    for (const f of index.files) {
      assert.equal(
        createHash('sha256')
          .update(fs.readFileSync(path.join(out, f.path)))
          .digest('hex'),
        f.sha256,
        f.path,
      );
    }
    const app = index.apps.find((a) => a.env === 'dev' && a.app === 'simple-web-app')!;
    assert.equal(app.source, 'apps/simple-web-app.ts');
    assert.equal(app.namespace, 'simple-web-app');
    assert.deepEqual(
      app.objects.map(({ apiVersion, kind, namespace, name }) => ({ apiVersion, kind, namespace, name })),
      [
        { apiVersion: 'apps/v1', kind: 'Deployment', namespace: 'simple-web-app', name: 'simple-web-app' },
        { apiVersion: 'v1', kind: 'Namespace', namespace: undefined, name: 'simple-web-app' },
        { apiVersion: 'v1', kind: 'Service', namespace: 'simple-web-app', name: 'simple-web-app' },
      ],
    );
  });

  test('output is byte-identical across runs, folders and source commits', (t) => {
    const a = tmpOut(t);
    const b = tmpOut(t);
    const c = tmpOut(t);
    synth({ root: REPO_ROOT, out: a });
    synth({ root: REPO_ROOT, out: b });
    const copy = copyOfExampleRepo(t);
    assert.equal(synth({ root: copy, out: c }).ok, true);
    const ta = readTree(a);
    assert.ok(ta.size > 10);
    assert.deepEqual(readTree(b), ta);
    assert.deepEqual(readTree(c), ta, 'a copy in another folder, at another commit, renders the same bytes');
    const text = [...ta.values()].map((v) => v.toString()).join('\n');
    assert.equal(text.includes(REPO_ROOT), false, 'no absolute paths in the output');
    assert.doesNotMatch(text, /\b20\d\d-\d\d-\d\dT/, 'no timestamps');
  });

  test('a broken app leaves the previous output untouched', (t) => {
    const root = makeRepo(t, { 'apps/web.ts': webApp('web') });
    assert.equal(synth({ root }).ok, true);
    const dist = path.join(root, 'dist');
    const before = readTree(dist);
    const mtime = fs.statSync(path.join(dist, 'index.json')).mtimeMs;
    fs.writeFileSync(
      path.join(root, 'apps/broken.ts'),
      `import { defineApp } from 'synthops';\nexport default defineApp({ name: 'broken', build: () => { throw new Error('nope'); } });`,
    );
    fs.writeFileSync(path.join(root, 'apps/web.ts'), webApp('web', 'r/changed:2'));
    const r = synth({ root });
    assert.equal(r.ok, false);
    assert.deepEqual(readTree(dist), before);
    assert.equal(fs.statSync(path.join(dist, 'index.json')).mtimeMs, mtime);
    assert.deepEqual(
      fs.readdirSync(root).filter((f) => f.startsWith('.dist')),
      [],
      'no temporary folder left behind',
    );
  });

  test('a successful synth replaces the output: files of removed apps disappear', (t) => {
    const root = makeRepo(t, { 'apps/web.ts': webApp('web'), 'apps/old.ts': webApp('old') });
    synth({ root });
    assert.ok(fs.existsSync(path.join(root, 'dist/dev/old')));
    fs.rmSync(path.join(root, 'apps/old.ts'));
    synth({ root });
    assert.equal(fs.existsSync(path.join(root, 'dist/dev/old')), false);
    assert.ok(fs.existsSync(path.join(root, 'dist/dev/web/deployment-web.yaml')));
  });

  test('refuses to replace a folder that is not synth output', (t) => {
    const root = makeRepo(t, { 'apps/web.ts': webApp('web') });
    assert.throws(
      () => synth({ root, out: 'apps' }),
      (e: Error) =>
        e instanceof UsageError &&
        /is not empty and has no index\.json, so it is not synth output; refusing to replace it/.test(e.message),
    );
    assert.ok(fs.existsSync(path.join(root, 'apps/web.ts')));
  });

  test('renders only the selected environments, and rejects unknown ones', (t) => {
    const root = makeRepo(t, { 'apps/web.ts': webApp('web') });
    const r = synth({ root, envs: ['prod'] });
    assert.deepEqual(r.index.environments, ['prod']);
    assert.deepEqual(fs.readdirSync(path.join(root, 'dist')).sort(), ['index.json', 'prod']);
    assert.throws(
      () => synth({ root, envs: ['qa'] }),
      /unknown environment\(s\) qa; declared in apps\/environments\.ts: dev, prod/,
    );
  });

  test('stamps the synthops labels even when an escape hatch removed or changed them', (t) => {
    const root = makeRepo(t, {
      'apps/patched.ts': `import { k8s } from 'cdk8s-plus-28'; import { JsonPatch } from 'cdk8s'; import { defineApp } from 'synthops';
export default defineApp({ name: 'patched', build: (app) => {
  new k8s.KubeConfigMap(app, 'a', { metadata: { name: 'a' } }).addJsonPatch(JsonPatch.remove('/metadata/labels'));
  new k8s.KubeConfigMap(app, 'b', { metadata: { name: 'b' } }).addJsonPatch(JsonPatch.replace('/metadata/labels/synthops.dev~1app', 'someone-else'));
} });`,
    });
    assert.equal(synth({ root }).ok, true);
    for (const f of ['configmap-a.yaml', 'configmap-b.yaml']) {
      assert.deepEqual(load(path.join(root, 'dist'), `dev/patched/${f}`).metadata.labels, {
        [APP_LABEL]: 'patched',
        [ENV_LABEL]: 'dev',
      });
    }
  });

  test('gives objects that would share a file name distinct files', (t) => {
    const root = makeRepo(t, {
      'apps/roles.ts': `import { k8s } from 'cdk8s-plus-28'; import { defineApp } from 'synthops';
export default defineApp({ name: 'roles', environments: ['dev'], build: (app) => {
  new k8s.KubeRole(app, 'a', { metadata: { name: 'reader' } });
  new k8s.KubeRole(app, 'b', { metadata: { name: 'reader', namespace: 'other' } });
} });`,
    });
    assert.equal(synth({ root }).ok, true);
    assert.deepEqual(fs.readdirSync(path.join(root, 'dist/dev/roles')).sort(), [
      'namespace-roles.yaml',
      'role.rbac.authorization.k8s.io-reader.other.yaml',
      'role.rbac.authorization.k8s.io-reader.roles.yaml',
    ]);
  });
});
