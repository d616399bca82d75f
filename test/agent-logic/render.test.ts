/**
 * The pure parts of rendering Kustomize and Helm sources: layout detection, what the
 * kustomization check refuses (file and line), where a tool's error message points,
 * Helm hook verdicts, objects without a name and Argo CD annotations, and the limits and
 * environment of a tool run (with /bin/sh standing in for the tool). The real tools run
 * in test/render/load.test.ts and test/agent/render.test.ts.
 */
import * as assert from 'node:assert/strict';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { describe, test } from 'node:test';
import { LoadError } from '../../src/agent/source/errors';
import { loadRevision } from '../../src/agent/source/load';
import { detectLayout } from '../../src/agent/source/render';
import { foreignAnnotationWarning } from '../../src/agent/source/foreign-annotations';
import { RepoRoot } from '../../src/render/confine';
import { judgeHook, locateHelmError } from '../../src/render/helm';
import { locateKustomizeError } from '../../src/render/kustomize';
import { checkKustomization, isRemoteReference } from '../../src/render/kustomize-check';
import { RenderError, runTool, toolEnvironment } from '../../src/render/run';

const FIXTURES = path.resolve(__dirname, '..', 'fixtures', 'render');

function tree(t: { after(fn: () => void): void }, files: Record<string, string>): string {
  const d = fs.mkdtempSync(path.join(os.tmpdir(), 'synthops-render-'));
  t.after(() => fs.rmSync(d, { recursive: true, force: true }));
  for (const [rel, content] of Object.entries(files)) {
    fs.mkdirSync(path.dirname(path.join(d, rel)), { recursive: true });
    fs.writeFileSync(path.join(d, rel), content);
  }
  return d;
}

const CM = 'apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: a\n';

describe('layout detection', () => {
  test('auto: index.json, then a kustomization (any of its three names), then Chart.yaml, else plain', (t) => {
    const d = tree(t, {
      's/index.json': '{}',
      'k1/kustomization.yaml': '',
      'k2/kustomization.yml': '',
      'k3/Kustomization': '',
      'h/Chart.yaml': '',
      'p/a.yaml': CM,
      'both/kustomization.yaml': '',
      'both/Chart.yaml': '',
    });
    const layout = (dir: string, choice?: Parameters<typeof detectLayout>[1]) => {
      const r = detectLayout(path.join(d, dir), choice);
      return 'layout' in r ? r.layout : `problem: ${r.problem}`;
    };
    assert.deepEqual(
      ['s', 'k1', 'k2', 'k3', 'h', 'p'].map((x) => layout(x)),
      ['synthops', 'kustomize', 'kustomize', 'kustomize', 'helm', 'plain'],
    );
    assert.match(
      layout('both'),
      /^problem: kustomization\.yaml and Chart\.yaml: .*choose one with --layout kustomize or --layout helm$/,
    );
    assert.equal(layout('both', 'helm'), 'helm');
    assert.equal(layout('k1', 'plain'), 'plain');
    assert.match(
      layout('p', 'kustomize'),
      /^problem: kustomization\.yaml, kustomization\.yml, Kustomization: none in the folder/,
    );
    assert.match(layout('p', 'helm'), /^problem: Chart\.yaml: missing, but the layout is helm$/);
    assert.match(layout('p', 'synthops'), /^problem: index\.json: missing/);
  });

  test('plain YAML that holds a Kustomize folder or a chart names it and how to render it, instead of failing on its files', (t) => {
    const d = tree(t, {
      'a.yaml': CM,
      'podinfo/kustomization.yaml': 'resources: [deployment.yaml]\n',
      'podinfo/deployment.yaml': CM,
      'charts/web/Chart.yaml': 'apiVersion: v2\nname: web\nversion: 0.1.0\n',
      'charts/web/templates/cm.yaml': 'metadata:\n  name: {{ .Release.Name }}\n',
    });
    assert.throws(
      () => loadRevision(d, { revision: 'r' }),
      (e: unknown) => {
        assert.ok(e instanceof LoadError);
        assert.deepEqual(e.problems, [
          'charts/web/Chart.yaml: charts/web is a Helm chart inside a plain-YAML folder: make charts/web the source path to render it with helm, or remove Chart.yaml',
          'podinfo/kustomization.yaml: podinfo is a Kustomize folder inside a plain-YAML folder: make podinfo the source path to render it with kustomize, or remove kustomization.yaml',
        ]);
        return true;
      },
    );
    assert.throws(
      () => loadRevision(d, { revision: 'r', path: 'podinfo', layout: 'plain' }),
      (e: unknown) =>
        e instanceof LoadError &&
        e.problems[0] ===
          'kustomization.yaml: the folder is a Kustomize folder, but the layout is plain: use --layout auto or --layout kustomize to render it',
    );
  });
});

describe('kustomization check', () => {
  const check = (root: string, dir: string, allowRemoteBases = false) =>
    checkKustomization(new RepoRoot(root), path.join(root, dir), { allowRemoteBases }).map(
      (r) => `${r.kind} ${r.file}:${r.line ?? '-'}`,
    );

  test('remote references: URLs always, Git forms for bases, host-like paths only when not on disk', () => {
    for (const v of [
      'https://github.com/org/repo//base?ref=v1',
      'http://example.com/cm.yaml',
      'ssh://git@github.com/org/repo',
      'file:///etc/repo',
    ]) {
      assert.equal(isRemoteReference(v, true, false), true, v);
      assert.equal(isRemoteReference(v, false, false), true, v);
    }
    for (const v of [
      'git::https://example.com/org/repo',
      'gh:org/repo',
      'git@github.com:org/repo.git',
      'github.com/org/repo//base?ref=v1',
    ]) {
      assert.equal(isRemoteReference(v, true, false), true, v);
      assert.equal(isRemoteReference(v, false, false), false, `${v} is a file name for a patch`);
    }
    assert.equal(
      isRemoteReference('github.com/org/repo', true, true),
      false,
      'a folder of that name in the repo wins, as in kustomize',
    );
    for (const v of ['../base', 'base', 'deployment.yaml', 'config/app.yaml'])
      assert.equal(isRemoteReference(v, true, false), false, v);
  });

  test('a remote base is refused with its file and line, in a base too; allowed when the source says so', (t) => {
    const d = tree(t, {
      'app/kustomization.yaml':
        'resources:\n  - ../base\n  - https://raw.githubusercontent.com/org/repo/main/cm.yaml\n',
      'base/kustomization.yaml':
        'namePrefix: x-\ncomponents:\n- github.com/org/repo//components/a?ref=v1\npatches:\n  - path: https://example.com/patch.yaml\nconfigMapGenerator:\n- name: c\n  files:\n  - key=https://example.com/f.txt\n',
    });
    assert.deepEqual(check(d, 'app'), [
      'remote app/kustomization.yaml:3',
      'remote base/kustomization.yaml:3',
      'remote base/kustomization.yaml:5',
      'remote base/kustomization.yaml:9',
    ]);
    assert.deepEqual(check(d, 'app', true), []);
  });

  test('bases in sibling folders of the repo are fine; paths outside the checkout or into .git are refused', (t) => {
    const top = tree(t, {
      'outside/kustomization.yaml': 'resources: [cm.yaml]\n',
      'outside/cm.yaml': CM,
      'repo/overlays/prod/kustomization.yaml': 'resources:\n- ../../base\n- ../../../outside\n- ../../.git/hooks\n',
      'repo/base/kustomization.yaml': 'resources: [cm.yaml]\n',
      'repo/base/cm.yaml': CM,
      'repo/.git/hooks/kustomization.yaml': '',
    });
    const d = path.join(top, 'repo');
    assert.deepEqual(check(d, 'overlays/prod'), [
      'outside-repo overlays/prod/kustomization.yaml:3',
      'outside-repo overlays/prod/kustomization.yaml:4',
    ]);
    fs.writeFileSync(path.join(d, 'overlays/prod/kustomization.yaml'), 'resources:\n- ../../base\n');
    assert.deepEqual(check(d, 'overlays/prod'), []);
  });

  test('a symlink out of the repo is judged by where it leads', (t) => {
    const outside = tree(t, { 'kustomization.yaml': 'resources: [cm.yaml]\n', 'cm.yaml': CM });
    const d = tree(t, { 'app/kustomization.yaml': 'resources:\n- ../linked\n' });
    fs.symlinkSync(outside, path.join(d, 'linked'));
    assert.deepEqual(check(d, 'app'), ['outside-repo app/kustomization.yaml:2']);
  });

  test('exec, container and legacy plugins are refused (in a file or inline); built-ins pass; helmCharts is refused', (t) => {
    const d = tree(t, {
      'app/kustomization.yaml': [
        'generators:',
        '- exec-gen.yaml',
        '- |',
        '  apiVersion: example.com/v1',
        '  kind: Inline',
        '  metadata:',
        '    name: i',
        '    annotations:',
        '      config.kubernetes.io/function: |',
        '        container:',
        '          image: example.com/fn:v1',
        'transformers:',
        '- builtin.yaml',
        '- legacy.yaml',
        'helmCharts:',
        '- name: redis',
        '  repo: https://charts.example.com',
        '',
      ].join('\n'),
      'app/exec-gen.yaml':
        'apiVersion: example.com/v1\nkind: Gen\nmetadata:\n  name: g\n  annotations:\n    config.kubernetes.io/function: |\n      exec:\n        path: ./gen.sh\n',
      'app/builtin.yaml':
        'apiVersion: builtin\nkind: PrefixSuffixTransformer\nmetadata:\n  name: p\nprefix: x-\nfieldSpecs:\n- path: metadata/name\n',
      'app/legacy.yaml': 'apiVersion: someteam.example.com/v1\nkind: ChartInflator\nmetadata:\n  name: c\n',
    });
    const refusals = checkKustomization(new RepoRoot(d), path.join(d, 'app'));
    assert.deepEqual(
      refusals.map((r) => `${r.kind} ${r.file}:${r.line}`),
      [
        'plugin app/exec-gen.yaml:1',
        'plugin app/kustomization.yaml:3',
        'plugin app/legacy.yaml:1',
        'helm-inflator app/kustomization.yaml:15',
      ],
    );
    assert.match(
      refusals[0].message,
      /^generators: example\.com\/v1 Gen g is a KRM exec function \(config\.kubernetes\.io\/function\): synthops runs kustomize without plugins/,
    );
    assert.match(refusals[1].message, /KRM container function/);
    assert.match(
      refusals[2].message,
      /^transformers: someteam\.example\.com\/v1 ChartInflator c is an external kustomize plugin \(not apiVersion: builtin\)/,
    );
    assert.match(
      refusals[3].message,
      /^helmCharts: kustomize's chart inflator needs --enable-helm .* render the chart with the helm layout/,
    );
  });

  test('a kustomization that is not YAML is left to kustomize (which names the line)', (t) => {
    const d = tree(t, { 'app/kustomization.yaml': 'resources: [\n' });
    assert.deepEqual(check(d, 'app'), []);
  });
});

describe('locating tool errors', () => {
  test('kustomize: the kustomization it descended into, the resource file, the entry that failed', (t) => {
    const d = tree(t, {
      'overlay/kustomization.yaml': 'resources:\n  - ../mid\n',
      'mid/kustomization.yaml': 'resources:\n- ../base\n- "../nobase"\n',
      'base/kustomization.yaml': 'resources:\n- cm.yaml\n',
    });
    const root = new RepoRoot(d);
    const at = (message: string) => locateKustomizeError(message, root, path.join(d, 'overlay'));
    // Messages as kustomize v5.8.1 prints them.
    assert.deepEqual(
      at(
        `Error: accumulating resources: accumulation err='accumulating resources from '../mid': '${d}/mid' must resolve to a file': recursed accumulation of path '${d}/mid': accumulating resources: accumulation err='accumulating resources from '../nobase': evalsymlink failure on '${d}/nobase' : lstat ${d}/nobase: no such file or directory': must build at directory: not a valid directory: evalsymlink failure on '${d}/nobase' : lstat ${d}/nobase: no such file or directory`,
      ),
      { file: 'mid/kustomization.yaml', line: 3 },
    );
    assert.deepEqual(
      at(
        `Error: accumulating resources: accumulation err='accumulating resources from '../mid': '${d}/mid' must resolve to a file': recursed accumulation of path '${d}/mid': accumulating resources: accumulation err='accumulating resources from '../base': '${d}/base' must resolve to a file': couldn't make target for path '${d}/base': invalid Kustomization: yaml: line 3: did not find expected node content`,
      ),
      { file: 'base/kustomization.yaml', line: 3 },
    );
    assert.deepEqual(
      at(
        `Error: accumulating resources: accumulation err='accumulating resources from '../mid': '${d}/mid' must resolve to a file': recursed accumulation of path '${d}/mid': accumulating resources: accumulation err='accumulating resources from '../base': '${d}/base' must resolve to a file': recursed accumulation of path '${d}/base': accumulating resources: accumulating resources from 'bad.yaml': MalformedYAMLError: yaml: line 4: did not find expected node content in File: bad.yaml`,
      ),
      { file: 'base/bad.yaml', line: 4 },
    );
    assert.deepEqual(at('Error: invalid Kustomization: json: unknown field "namePrefx"'), {
      file: 'overlay/kustomization.yaml',
      line: undefined,
    });
  });

  test('helm: template files with line, values and chart files with their YAML line', (t) => {
    const d = tree(t, { 'charts/web/Chart.yaml': '', 'charts/web/prod.yaml': '' });
    const root = new RepoRoot(d);
    const at = (message: string) => locateHelmError(message, root, path.join(d, 'charts/web'), 'demo');
    // Messages as helm v4.3.2 prints them.
    assert.deepEqual(
      at(
        'Error: demo/templates/bad.yaml:1:13\n  executing "demo/templates/bad.yaml" at <.Values.a.b.c>:\n    nil pointer evaluating interface {}.b',
      ),
      { file: 'charts/web/templates/bad.yaml', line: 1 },
    );
    assert.deepEqual(
      at('Error: parse error at (demo/templates/bad.yaml:2): unclosed action started at demo/templates/bad.yaml:1'),
      { file: 'charts/web/templates/bad.yaml', line: 2 },
    );
    assert.deepEqual(at('Error: execution error at (demo/charts/sub/templates/f.yaml:1:3): nope'), {
      file: 'charts/web/charts/sub/templates/f.yaml',
      line: 1,
    });
    assert.deepEqual(
      at(
        'Error: YAML parse error on demo/templates/bad.yaml: error converting YAML to JSON: yaml: line 2: mapping values are not allowed in this context',
      ),
      { file: 'charts/web/templates/bad.yaml', line: undefined },
    );
    assert.deepEqual(
      at(
        'Error: cannot load values.yaml: cannot unmarshal yaml document: error converting YAML to JSON: yaml: line 1: did not find expected node content',
      ),
      { file: 'charts/web/values.yaml', line: 1 },
    );
    assert.deepEqual(
      at(
        `Error: failed to parse ${d}/charts/web/prod.yaml: cannot unmarshal yaml document: error converting YAML to JSON: yaml: line 7: did not find expected node content`,
      ),
      { file: 'charts/web/prod.yaml', line: 7 },
    );
    assert.deepEqual(
      at(
        'Error: an error occurred while checking for chart dependencies: found in Chart.yaml, but missing in charts/ directory: sub',
      ),
      {},
    );
  });
});

describe("Helm hooks, objects without a name, other tools' annotations", () => {
  const job = (annotations: Record<string, string>, name: Record<string, string> = { name: 'migrate' }) => ({
    apiVersion: 'batch/v1',
    kind: 'Job',
    metadata: { name: '', ...name, namespace: 'shop', annotations },
  });

  test('a hook is refused with how to proceed, or skipped with a warning; other objects have no verdict', () => {
    assert.equal(judgeHook(job({}), 'c/templates/job.yaml#0', 'refuse'), undefined);
    assert.equal(judgeHook({ kind: 'ConfigMap', metadata: { name: 'x' } }, 'x#0', 'refuse'), undefined);
    for (const hook of ['pre-install', 'post-install,post-upgrade', 'pre-delete', 'test', 'pre-rollback']) {
      const refused = judgeHook(job({ 'helm.sh/hook': hook }), 'c/templates/job.yaml#0', 'refuse');
      assert.equal(refused?.action, 'refuse');
      assert.equal(
        refused?.message.startsWith(
          `c/templates/job.yaml#0: Job shop/migrate is a Helm hook (helm.sh/hook: ${hook.replace(/ /g, '')}): synthops does not run Helm hooks`,
        ),
        true,
        refused?.message,
      );
      assert.match(refused!.message, /helm\.hooks: skip \(--helm-hooks skip\)/);
      assert.deepEqual(judgeHook(job({ 'helm.sh/hook': hook }), 'c/templates/job.yaml#0', 'skip'), {
        action: 'skip',
        message: `c/templates/job.yaml#0: Job shop/migrate is a Helm hook (helm.sh/hook: ${hook}): skipped, not applied (helm.hooks: skip)`,
      });
    }
    assert.match(
      judgeHook(
        {
          kind: 'Job',
          metadata: { generateName: 'migrate-', namespace: 'shop', annotations: { 'helm.sh/hook': 'pre-install' } },
        },
        'j#0',
        'refuse',
      )!.message,
      /^j#0: Job shop\/migrate-<generated> is a Helm hook/,
    );
  });

  test("generateName: Argo CD's sync-waves example is refused, naming the object and why a pull agent cannot track it", (t) => {
    const d = tree(t, {
      'manifests.yaml': fs.readFileSync(path.join(FIXTURES, 'argocd-example-apps/sync-waves/manifests.yaml'), 'utf8'),
    });
    assert.throws(
      () => loadRevision(d, { revision: 'r' }),
      (e: unknown) => {
        assert.ok(e instanceof LoadError);
        assert.deepEqual(e.problems, [
          'manifests.yaml#0: Job upgrade-sql-schema<generated> has metadata.generateName and no metadata.name: a pull agent cannot track it, since the API server picks a new name on every create: ' +
            'each apply would create another object, and none could be found again to update or prune. Give it a fixed metadata.name (for a one-off Job, one that changes when the Job should run again).',
        ]);
        return true;
      },
    );
  });

  test('Argo CD sync waves and hooks load with one warning per object saying they are ignored', (t) => {
    const docs = fs
      .readFileSync(path.join(FIXTURES, 'argocd-example-apps/sync-waves/manifests.yaml'), 'utf8')
      .split(/^---\n/m)
      .filter((s) => s.trim());
    const d = tree(t, { 'manifests.yaml': docs.slice(1).join('---\n') });
    const loaded = loadRevision(d, { revision: 'r' });
    assert.equal(loaded.apps[0].objects.length, 6);
    assert.deepEqual(loaded.warnings, [
      'manifests.yaml#2: Job maint-page-up: ignored argocd.argoproj.io/sync-wave "1" (synthops orders by kind: namespaces and CRDs first, then the rest; order apps with dependsOn); ' +
        'argocd.argoproj.io/hook "Sync" and argocd.argoproj.io/hook-delete-policy "BeforeHookCreation" (the object is applied and kept like any other, not run as a sync hook)',
      'manifests.yaml#3: ReplicaSet frontend: ignored argocd.argoproj.io/sync-wave "2" (synthops orders by kind: namespaces and CRDs first, then the rest; order apps with dependsOn)',
      'manifests.yaml#4: Service frontend: ignored argocd.argoproj.io/sync-wave "2" (synthops orders by kind: namespaces and CRDs first, then the rest; order apps with dependsOn)',
      'manifests.yaml#5: Job maint-page-down: ignored argocd.argoproj.io/sync-wave "3" (synthops orders by kind: namespaces and CRDs first, then the rest; order apps with dependsOn); ' +
        'argocd.argoproj.io/hook "Sync" and argocd.argoproj.io/hook-delete-policy "BeforeHookCreation" (the object is applied and kept like any other, not run as a sync hook)',
    ]);
    assert.equal(
      loadRevision(tree(t, { 'a.yaml': CM }), { revision: 'r' }).warnings,
      undefined,
      'no warnings, no field',
    );
  });

  test('a Helm hook annotation outside a chart is a warning too, not a refusal', () => {
    const m = { ...job({ 'helm.sh/hook': 'pre-install' }), spec: {} };
    assert.equal(
      foreignAnnotationWarning(m, 'a.yaml#0', false),
      'a.yaml#0: Job shop/migrate: ignored helm.sh/hook "pre-install" (the object is applied and kept like any other, not run as a Helm hook)',
    );
    assert.equal(foreignAnnotationWarning(m, 'a.yaml#0', true), undefined, 'in a chart, hooks are judged at render');
  });
});

describe('running a tool', () => {
  const sh = { name: 'kustomize' as const, version: 'v0.0.0-test', path: '/bin/sh' };

  test('the environment is minimal: HOME and TMPDIR in a fresh folder; PATH and proxies only with network access', () => {
    const from = {
      PATH: '/usr/bin',
      HTTPS_PROXY: 'http://proxy:3128',
      GIT_ASKPASS: '/x',
      KUBECONFIG: '/k',
      SYNTHOPS_GIT_TOKEN: 't',
      HOME: '/root',
    };
    assert.deepEqual(toolEnvironment('/tmp/h', { HELM_DATA_HOME: '/tmp/h/d' }, false, from), {
      HOME: '/tmp/h',
      TMPDIR: '/tmp/h',
      LANG: 'C',
      LC_ALL: 'C',
      HELM_DATA_HOME: '/tmp/h/d',
    });
    assert.deepEqual(toolEnvironment('/tmp/h', {}, true, from), {
      HOME: '/tmp/h',
      TMPDIR: '/tmp/h',
      LANG: 'C',
      LC_ALL: 'C',
      PATH: '/usr/bin',
      HTTPS_PROXY: 'http://proxy:3128',
    });
    const printed = runTool({ tool: sh, args: ['-c', 'export -p'], cwd: os.tmpdir(), subject: 'x' }).stdout;
    // PWD is the shell's own.
    assert.deepEqual(
      [...printed.matchAll(/^export (\w+)=/gm)].map((m) => m[1]),
      ['HOME', 'LANG', 'LC_ALL', 'PWD', 'TMPDIR'],
    );
    const home = /HOME='([^']+)'/.exec(printed)![1];
    assert.equal(fs.existsSync(home), false, 'the fresh HOME is removed afterwards');
  });

  test('a failing run, a run past the time limit and a run past the output limit are typed RenderErrors', () => {
    const fail = (args: string[], limits = {}) => {
      try {
        runTool({
          tool: sh,
          args,
          cwd: os.tmpdir(),
          subject: 'apps/x',
          limits,
          locate: (m) =>
            /line (\d+)/.test(m) ? { file: 'apps/x/kustomization.yaml', line: Number(/line (\d+)/.exec(m)![1]) } : {},
        });
      } catch (e) {
        assert.ok(e instanceof RenderError);
        return e;
      }
      throw new Error('no error');
    };
    const failed = fail(['-c', 'echo "Error: bad thing at line 7\nsecond line" >&2; exit 1']);
    assert.deepEqual(
      [failed.reason, failed.tool, failed.version, failed.file, failed.line, failed.toolMessage],
      ['failed', 'kustomize', 'v0.0.0-test', 'apps/x/kustomization.yaml', 7, 'Error: bad thing at line 7\nsecond line'],
    );
    assert.equal(
      failed.message,
      'kustomize v0.0.0-test (/bin/sh) failed for apps/x (apps/x/kustomization.yaml, line 7):\n    Error: bad thing at line 7\n    second line',
    );
    assert.equal(fail(['-c', 'exec /bin/sleep 30'], { timeoutMs: 200 }).reason, 'timeout');
    const big = fail(['-c', 'exec /usr/bin/head -c 100000 /dev/zero'], { maxOutputBytes: 1000 });
    assert.equal(big.reason, 'output-limit');
    assert.match(big.message, /killed after printing more than 1000 bytes \(the render output limit\)/);
  });
});
