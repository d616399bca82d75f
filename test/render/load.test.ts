/**
 * Loading Kustomize and Helm sources with the real kustomize and helm (built by
 * test/tools/build.sh): the objects equal what `kustomize build` / `helm template` print
 * for the same input, run here directly; every bad input is a LoadError carrying a typed
 * RenderError that names the file and line when the tool does. No cluster is needed: the
 * agent's behaviour against one is in test/agent/render.test.ts.
 */
import { execFileSync } from 'child_process';
import * as assert from 'node:assert/strict';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { describe, test } from 'node:test';
import { LoadError } from '../../src/agent/source/errors';
import { LoadOptions, loadRevision } from '../../src/agent/source/load';
import { parseKubeYamlDocuments } from '../../src/model/kube-yaml';
import { Manifest } from '../../src/model/manifest';
import { RenderError } from '../../src/render/run';
import { findTool } from '../../src/render/tools';
import { fixture } from '../harness/render-fixtures';

/** A checkout holding `files` (path -> content), removed when the test ends. */
function checkout(t: { after(fn: () => void): void }, files: Record<string, string>): string {
  const d = fs.mkdtempSync(path.join(os.tmpdir(), 'synthops-render-load-'));
  t.after(() => fs.rmSync(d, { recursive: true, force: true }));
  for (const [rel, content] of Object.entries(files)) {
    fs.mkdirSync(path.dirname(path.join(d, rel)), { recursive: true });
    fs.writeFileSync(path.join(d, rel), content);
  }
  return d;
}

/** The objects of a YAML stream, parsed as the agent parses plain YAML. */
function objectsOf(text: string): Manifest[] {
  const { documents, errors } = parseKubeYamlDocuments(text, 'output');
  assert.deepEqual(errors, []);
  return documents.map((d) => d.value as unknown as Manifest);
}

/** What `kustomize build <dir>` prints, run directly with no flags. */
function kustomizeBuild(dir: string): Manifest[] {
  return objectsOf(
    execFileSync(findTool('kustomize').path, ['build', dir], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }),
  );
}

/** What `helm template <args>` prints, run directly (with a throwaway helm home). */
function helmTemplate(t: { after(fn: () => void): void }, args: string[]): Manifest[] {
  const home = fs.mkdtempSync(path.join(os.tmpdir(), 'synthops-helm-test-'));
  t.after(() => fs.rmSync(home, { recursive: true, force: true }));
  const env = {
    ...process.env,
    HELM_CACHE_HOME: `${home}/c`,
    HELM_CONFIG_HOME: `${home}/f`,
    HELM_DATA_HOME: `${home}/d`,
  };
  return objectsOf(execFileSync(findTool('helm').path, ['template', ...args], { encoding: 'utf8', env }));
}

function load(dir: string, opts: Omit<LoadOptions, 'revision'>) {
  return loadRevision(dir, { revision: '0123456789abcdef', ...opts });
}

/** The RenderError of a rejected load. */
function renderFailure(dir: string, opts: Omit<LoadOptions, 'revision'>): RenderError {
  try {
    load(dir, opts);
  } catch (e) {
    assert.ok(e instanceof LoadError, String(e));
    assert.ok(e.render instanceof RenderError, e.message);
    assert.match(e.message, /^revision 0123456789ab rejected, nothing applied:/);
    assert.ok(e.message.includes(e.render.toolMessage.split('\n')[0]), 'the tool message is in the LoadError');
    return e.render;
  }
  throw new Error('the load did not fail');
}

describe('kustomize sources: the objects kustomize build prints', () => {
  test("podinfo's kustomize/ folder (Flux's demo app)", (t) => {
    const d = checkout(t, fixture('podinfo', 'apps/podinfo'));
    const loaded = load(d, { path: 'apps/podinfo/kustomize', app: 'podinfo' });
    assert.equal(loaded.layout, 'kustomize');
    const tool = findTool('kustomize');
    assert.deepEqual(loaded.renderedBy, { tool: 'kustomize', version: tool.version, path: tool.path });
    assert.equal(loaded.apps.length, 1);
    assert.equal(loaded.apps[0].name, 'podinfo');
    assert.deepEqual(
      loaded.apps[0].objects.map((o) => o.manifest),
      kustomizeBuild(path.join(d, 'apps/podinfo/kustomize')),
    );
    assert.deepEqual(
      loaded.apps[0].objects.map((o) => `${o.origin} ${o.manifest.kind}/${o.manifest.metadata.name}`),
      [
        'kustomize build apps/podinfo/kustomize#0 Service/podinfo',
        'kustomize build apps/podinfo/kustomize#1 Deployment/podinfo',
        'kustomize build apps/podinfo/kustomize#2 HorizontalPodAutoscaler/podinfo',
      ],
    );
    assert.equal(loaded.warnings, undefined);
  });

  test('an overlay with a base in a sibling folder, namePrefix, a configMapGenerator merge and a patch', (t) => {
    const d = checkout(t, fixture('overlay', 'shop'));
    const loaded = load(d, { path: 'shop/overlays/prod' });
    const objects = loaded.apps[0].objects.map((o) => o.manifest);
    assert.deepEqual(objects, kustomizeBuild(path.join(d, 'shop/overlays/prod')));
    assert.equal(loaded.apps[0].name, 'prod');
    const cm = objects.find((o) => o.kind === 'ConfigMap')!;
    assert.match(cm.metadata.name, /^prod-shop-config-[a-z0-9]{10}$/);
    assert.deepEqual(cm.data, { LOG_LEVEL: 'warn', 'settings.properties': 'feature.checkout=on\ncurrency=EUR\n' });
    const deploy = objects.find((o) => o.kind === 'Deployment') as Manifest & {
      spec: {
        replicas: number;
        template: { spec: { containers: { envFrom: { configMapRef: { name: string } }[] }[] } };
      };
    };
    assert.equal(deploy.metadata.name, 'prod-shop');
    assert.equal(deploy.spec.replicas, 2);
    assert.equal(
      deploy.spec.template.spec.containers[0].envFrom[0].configMapRef.name,
      cm.metadata.name,
      'the generated name is referenced',
    );
  });

  test("Argo CD's pre-post-sync example: its hook Jobs load with a warning each, kustomize's notice about `bases` is passed on", (t) => {
    const d = checkout(t, fixture('argocd-example-apps', 'examples'));
    const loaded = load(d, { path: 'examples/pre-post-sync' });
    assert.deepEqual(
      loaded.apps[0].objects.map((o) => o.manifest),
      kustomizeBuild(path.join(d, 'examples/pre-post-sync')),
    );
    assert.deepEqual(loaded.apps[0].objects.map((o) => o.manifest.metadata.name).sort(), [
      'pre-post-sync-after',
      'pre-post-sync-before',
      'pre-post-sync-kustomize-guestbook-ui',
      'pre-post-sync-kustomize-guestbook-ui',
    ]);
    const warnings = loaded.warnings ?? [];
    assert.equal(warnings.length, 3, warnings.join('\n'));
    assert.match(warnings[0], /^examples\/pre-post-sync: kustomize: # Warning: 'bases' is deprecated/);
    assert.match(
      warnings[1],
      /^kustomize build examples\/pre-post-sync#\d: Job pre-post-sync-(after|before): ignored argocd\.argoproj\.io\/hook "(Post|Pre)Sync" and argocd\.argoproj\.io\/hook-delete-policy "HookSucceeded" \(the object is applied and kept like any other, not run as a sync hook\)$/,
    );
    assert.match(warnings[2], /Job pre-post-sync-(after|before): ignored argocd\.argoproj\.io\/hook/);
  });
});

describe('helm sources: the objects helm template prints', () => {
  test('a chart with values files, inline values, --set values and a vendored dependency', (t) => {
    const d = checkout(t, fixture('chart', 'charts/shop'));
    const loaded = load(d, {
      path: 'charts/shop',
      app: 'web',
      namespace: 'shop-prod',
      render: {
        helm: { valuesFiles: ['values-prod.yaml'], values: 'service:\n  port: 8080\n', set: ['image.tag=4e5f6a7'] },
      },
    });
    assert.equal(loaded.layout, 'helm');
    const tool = findTool('helm');
    assert.deepEqual(loaded.renderedBy, { tool: 'helm', version: tool.version, path: tool.path });
    const inline = path.join(d, 'inline.yaml');
    fs.writeFileSync(inline, 'service:\n  port: 8080\n');
    const chart = path.join(d, 'charts/shop');
    assert.deepEqual(
      loaded.apps[0].objects.map((o) => o.manifest),
      helmTemplate(t, [
        'web',
        chart,
        '--namespace',
        'shop-prod',
        '--include-crds',
        '--values',
        path.join(chart, 'values-prod.yaml'),
        '--values',
        inline,
        '--set',
        'image.tag=4e5f6a7',
      ]),
    );
    assert.deepEqual(
      loaded.apps[0].objects.map((o) => `${o.origin} ${o.manifest.kind}/${o.manifest.metadata.name}`).sort(),
      [
        'charts/shop/charts/cache/templates/service.yaml#0 Service/web-cache',
        'charts/shop/charts/cache/templates/statefulset.yaml#0 StatefulSet/web-cache',
        'charts/shop/templates/configmap.yaml#0 ConfigMap/web-shop',
        'charts/shop/templates/deployment.yaml#0 Deployment/web-shop',
        'charts/shop/templates/service.yaml#0 Service/web-shop',
      ],
    );
    const byName = (kind: string, name: string) =>
      loaded.apps[0].objects.find((o) => o.manifest.kind === kind && o.manifest.metadata.name === name)!
        .manifest as Manifest & Record<string, any>;
    assert.deepEqual(byName('ConfigMap', 'web-shop').data, {
      greeting: 'hello from prod',
      namespace: 'shop-prod',
      cacheAddress: 'web-cache:6379',
    });
    assert.equal(byName('Deployment', 'web-shop').spec.replicas, 2);
    assert.equal(
      byName('Deployment', 'web-shop').spec.template.spec.containers[0].image,
      'docker.io/kostiscodefresh/simple-web-app:4e5f6a7',
    );
    assert.equal(byName('Service', 'web-shop').spec.ports[0].port, 8080);
    assert.deepEqual(
      byName('StatefulSet', 'web-cache').spec.template.spec.containers[0].args,
      ['--maxmemory', '256mb'],
      'parent values reach the dependency',
    );
  });

  test("Argo CD's helm-guestbook with values-production.yaml; the release is named after the app by default", (t) => {
    const d = checkout(t, fixture('argocd-example-apps', 'examples'));
    const loaded = load(d, {
      path: 'examples/helm-guestbook',
      namespace: 'guestbook',
      render: { helm: { valuesFiles: ['values-production.yaml'] } },
    });
    const chart = path.join(d, 'examples/helm-guestbook');
    assert.deepEqual(
      loaded.apps[0].objects.map((o) => o.manifest),
      helmTemplate(t, [
        'helm-guestbook',
        chart,
        '--namespace',
        'guestbook',
        '--include-crds',
        '--values',
        path.join(chart, 'values-production.yaml'),
      ]),
    );
    assert.deepEqual(
      loaded.apps[0].objects.map((o) => `${o.manifest.kind}/${o.manifest.metadata.name}`),
      ['Service/helm-guestbook', 'Deployment/helm-guestbook'],
    );
    assert.equal((loaded.apps[0].objects[0].manifest as Manifest & Record<string, any>).spec.type, 'LoadBalancer');
  });

  test('hooks are refused by default, naming each object; with helm.hooks: skip they are left out with a warning each', (t) => {
    const files = {
      ...fixture('chart', 'c'),
      'c/templates/migrate.yaml':
        'apiVersion: batch/v1\nkind: Job\nmetadata:\n  generateName: {{ .Release.Name }}-migrate-\n  annotations:\n    helm.sh/hook: pre-install,pre-upgrade\nspec:\n  template:\n    spec:\n      restartPolicy: Never\n      containers: [{name: m, image: busybox}]\n',
      'c/templates/test.yaml':
        'apiVersion: v1\nkind: Pod\nmetadata:\n  name: {{ .Release.Name }}-test\n  annotations:\n    "helm.sh/hook": test\nspec:\n  containers: [{name: t, image: busybox}]\n',
    };
    const d = checkout(t, files);
    const refused = renderFailure(d, { path: 'c', app: 'web' });
    assert.deepEqual([refused.reason, refused.refusal, refused.tool], ['refused', 'helm-hook', 'helm']);
    // In helm's output order; the error points at the first.
    assert.equal(refused.file, refused.toolMessage.slice(0, refused.toolMessage.indexOf('#')));
    assert.deepEqual(
      refused.toolMessage
        .split('\n')
        .map((l) => l.slice(0, l.indexOf(': synthops')))
        .sort(),
      [
        'c/templates/migrate.yaml#0: Job web-migrate-<generated> is a Helm hook (helm.sh/hook: pre-install,pre-upgrade)',
        'c/templates/test.yaml#0: Pod web-test is a Helm hook (helm.sh/hook: test)',
      ],
    );
    assert.match(refused.toolMessage, /with the source setting helm\.hooks: skip \(--helm-hooks skip\)/);
    const skipped = load(d, { path: 'c', app: 'web', render: { helm: { hooks: 'skip' } } });
    assert.deepEqual([...(skipped.warnings ?? [])].sort(), [
      'c/templates/migrate.yaml#0: Job web-migrate-<generated> is a Helm hook (helm.sh/hook: pre-install,pre-upgrade): skipped, not applied (helm.hooks: skip)',
      'c/templates/test.yaml#0: Pod web-test is a Helm hook (helm.sh/hook: test): skipped, not applied (helm.hooks: skip)',
    ]);
    assert.equal(skipped.apps[0].objects.length, 5);
  });
});

describe('bad input: a LoadError with the RenderError, file and line named', () => {
  const good = () => fixture('overlay', 'shop');

  test("a broken kustomization: kustomize's message whole, with the file and the YAML line", (t) => {
    const d = checkout(t, {
      ...good(),
      'shop/base/kustomization.yaml': 'resources:\n  - deployment.yaml\nlabels: [\n',
    });
    const e = renderFailure(d, { path: 'shop/overlays/prod' });
    assert.deepEqual([e.reason, e.tool, e.file, e.line], ['failed', 'kustomize', 'shop/base/kustomization.yaml', 3]);
    assert.match(
      e.toolMessage,
      /^Error: accumulating resources: .*invalid Kustomization: yaml: line 3: did not find expected node content$/,
    );
    assert.match(
      e.message,
      /^kustomize v\d+\.\d+\.\d+ \(.*\/kustomize\) failed for shop\/overlays\/prod \(shop\/base\/kustomization\.yaml, line 3\):\n {4}Error: /,
    );
  });

  test('an unknown field in a kustomization', (t) => {
    const d = checkout(t, {
      ...good(),
      'shop/overlays/prod/kustomization.yaml': 'resources:\n  - ../../base\nnamePrefx: prod-\n',
    });
    const e = renderFailure(d, { path: 'shop/overlays/prod' });
    assert.deepEqual(
      [e.reason, e.file, e.toolMessage],
      [
        'failed',
        'shop/overlays/prod/kustomization.yaml',
        'Error: invalid Kustomization: json: unknown field "namePrefx"',
      ],
    );
  });

  test('a missing base: the kustomization and the line that lists it', (t) => {
    const d = checkout(t, {
      ...good(),
      'shop/overlays/prod/kustomization.yaml': 'namePrefix: prod-\nresources:\n  - ../../base\n  - ../../common\n',
    });
    const e = renderFailure(d, { path: 'shop/overlays/prod' });
    assert.deepEqual([e.reason, e.file, e.line], ['failed', 'shop/overlays/prod/kustomization.yaml', 4]);
    assert.match(e.toolMessage, /accumulating resources from '\.\.\/\.\.\/common'/);
  });

  test('an exec plugin: refused before kustomize runs, naming the plugin config', (t) => {
    const d = checkout(t, {
      ...good(),
      'shop/overlays/prod/kustomization.yaml': 'resources:\n  - ../../base\ngenerators:\n  - secrets.yaml\n',
      'shop/overlays/prod/secrets.yaml':
        'apiVersion: example.com/v1\nkind: SecretsFromVault\nmetadata:\n  name: vault\n  annotations:\n    config.kubernetes.io/function: |\n      exec:\n        path: ./vault-gen.sh\n',
    });
    const e = renderFailure(d, { path: 'shop/overlays/prod' });
    assert.deepEqual(
      [e.reason, e.refusal, e.file, e.line],
      ['refused', 'plugin', 'shop/overlays/prod/secrets.yaml', 1],
    );
    assert.match(
      e.toolMessage,
      /^shop\/overlays\/prod\/secrets\.yaml:1: generators: example\.com\/v1 SecretsFromVault vault is a KRM exec function/,
    );
  });

  test('a remote base when the source does not allow them: refused with file and line', (t) => {
    const d = checkout(t, {
      ...good(),
      'shop/overlays/prod/kustomization.yaml':
        'resources:\n  - ../../base\n  - https://github.com/stefanprodan/podinfo//kustomize?ref=6.14.1\n',
    });
    const e = renderFailure(d, { path: 'shop/overlays/prod' });
    assert.deepEqual(
      [e.reason, e.refusal, e.file, e.line],
      ['refused', 'remote', 'shop/overlays/prod/kustomization.yaml', 3],
    );
    assert.match(
      e.toolMessage,
      /remote base "https:\/\/github\.com\/stefanprodan\/podinfo\/\/kustomize\?ref=6\.14\.1" in resources: this source does not allow remote bases/,
    );
  });

  test('a remote base the source allows is fetched by kustomize (a Git repo on this machine stands in for GitHub)', (t) => {
    const remote = checkout(t, {
      'base/kustomization.yaml': 'resources: [cm.yaml]\n',
      'base/cm.yaml': 'apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: from-remote\n',
    });
    const git = (...args: string[]) =>
      execFileSync('git', ['-c', 'user.email=t@example.com', '-c', 'user.name=t', ...args], {
        cwd: remote,
        stdio: 'ignore',
      });
    git('init', '-q', '-b', 'main');
    git('add', '-A');
    git('commit', '-q', '-m', 'base');
    const d = checkout(t, {
      ...good(),
      'shop/overlays/prod/kustomization.yaml': `resources:\n  - ../../base\n  - file://${remote}//base?ref=main\n`,
    });
    assert.equal(renderFailure(d, { path: 'shop/overlays/prod' }).refusal, 'remote');
    const loaded = load(d, { path: 'shop/overlays/prod', render: { kustomize: { allowRemoteBases: true } } });
    assert.deepEqual(
      loaded.apps[0].objects.map((o) => o.manifest.metadata.name).filter((n) => n === 'from-remote'),
      ['from-remote'],
    );
  });

  test('a render that exceeds the output limit', (t) => {
    const d = checkout(t, good());
    const e = renderFailure(d, { path: 'shop/overlays/prod', render: { limits: { maxOutputBytes: 512 } } });
    assert.equal(e.reason, 'output-limit');
    assert.match(e.message, /killed after printing more than 512 bytes \(the render output limit\)/);
  });

  test('a helm template error: the template file and line', (t) => {
    const d = checkout(t, {
      ...fixture('chart', 'charts/shop'),
      'charts/shop/templates/broken.yaml':
        'apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: x\ndata:\n  v: {{ .Values.missing.key }}\n',
    });
    const e = renderFailure(d, { path: 'charts/shop' });
    assert.deepEqual([e.reason, e.tool, e.file, e.line], ['failed', 'helm', 'charts/shop/templates/broken.yaml', 6]);
    assert.match(
      e.toolMessage,
      /^Error: shop\/templates\/broken\.yaml:6:\d+\n\s+executing "shop\/templates\/broken\.yaml" at <\.Values\.missing\.key>:\n\s+nil pointer evaluating interface \{\}\.key/,
    );
  });

  test('a dependency that is not vendored: helm says so, nothing is downloaded', (t) => {
    const files = fixture('chart', 'charts/shop');
    for (const k of Object.keys(files)) if (k.startsWith('charts/shop/charts/')) delete files[k];
    const d = checkout(t, files);
    const e = renderFailure(d, { path: 'charts/shop' });
    assert.equal(e.reason, 'failed');
    assert.match(e.toolMessage, /found in Chart\.yaml, but missing in charts\/ directory: cache/);
  });

  test('a values file outside the repo is refused', (t) => {
    const d = checkout(t, fixture('chart', 'charts/shop'));
    const e = renderFailure(d, {
      path: 'charts/shop',
      render: { helm: { valuesFiles: ['../../../etc/values.yaml'] } },
    });
    assert.deepEqual([e.reason, e.refusal], ['refused', 'outside-repo']);
    assert.match(
      e.toolMessage,
      /^values file "\.\.\/\.\.\/\.\.\/etc\/values\.yaml" resolves outside the repo checkout/,
    );
  });
});
