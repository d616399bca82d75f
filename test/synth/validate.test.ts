/** Every validation rule, with its exact message, through a real synth of a config repo. */
import * as assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { synth } from '../../src/synth/synth';
import { formatIssue, nameProblem } from '../../src/synth/validate';
import { spawnSync } from 'child_process';
import * as path from 'path';
import { REPO_ROOT, makeRepo } from '../harness/config-repo';
import { rawDeploymentApp, webApp } from './fixtures';

const l1 = `import { k8s } from 'cdk8s-plus-28'; import { JsonPatch } from 'cdk8s'; import { defineApp } from 'synthops';\n`;

function issuesOf(t: Parameters<typeof makeRepo>[0], files: Record<string, string>): string[] {
  const r = synth({ root: makeRepo(t, files), dryRun: true });
  assert.equal(r.ok, false, 'synth must fail');
  return r.issues.map(formatIssue);
}

describe('synth validation', () => {
  test('duplicate object identity within an environment names both apps', (t) => {
    const app = (name: string) =>
      `${l1}export default defineApp({ name: '${name}', namespace: 'common', createNamespace: false, build: (app) => { new k8s.KubeConfigMap(app, 'c', { metadata: { name: 'shared' } }); } });`;
    assert.deepEqual(
      issuesOf(t, { 'apps/a.ts': app('a'), 'apps/b.ts': app('b') }),
      ['dev', 'prod'].map(
        (env) =>
          `error[duplicate-object] ${env}/b (apps/b.ts) ConfigMap common/shared: also defined by app "a" (apps/a.ts) in environment ${env}; each object must have one owner`,
      ),
    );
  });

  test('names that are not DNS subdomains or labels', (t) => {
    const files = {
      'apps/names.ts': `${l1}export default defineApp({ name: 'names', environments: ['dev'], build: (app) => {
      new k8s.KubeConfigMap(app, 'c', { metadata: { name: 'Bad_Name' } });
      new k8s.KubeService(app, 's', { metadata: { name: 'a.b' }, spec: { ports: [{ port: 80 }] } });
    } });`,
    };
    assert.deepEqual(issuesOf(t, files), [
      'error[invalid-name] dev/names (apps/names.ts) ConfigMap names/Bad_Name metadata.name: "Bad_Name" is not a valid DNS subdomain (at most 253 lowercase letters, digits, "-" and ".", starting and ending alphanumeric)',
      'error[invalid-name] dev/names (apps/names.ts) Service names/a.b metadata.name: "a.b" is not a valid DNS label (at most 63 lowercase letters, digits and "-", starting and ending alphanumeric)',
    ]);
    assert.equal(
      nameProblem('rbac.authorization.k8s.io/v1', 'ClusterRole', 'system:aggregate-to-view'),
      undefined,
      'RBAC names are path segments',
    );
    assert.match(nameProblem('v1', 'ConfigMap', 'x'.repeat(254)) ?? '', /not a valid DNS subdomain/);
  });

  test('a namespaced kind without a namespace', (t) => {
    const files = {
      'apps/nons.ts': `${l1}export default defineApp({ name: 'nons', environments: ['dev'], build: (app) => {
      new k8s.KubeConfigMap(app, 'c', { metadata: { name: 'orphan' } }).addJsonPatch(JsonPatch.remove('/metadata/namespace'));
    } });`,
    };
    assert.deepEqual(issuesOf(t, files), [
      'error[missing-namespace] dev/nons (apps/nons.ts) ConfigMap orphan metadata.namespace: ConfigMap is namespaced; set a namespace (the Application sets one unless a patch removed it)',
    ]);
  });

  test('an untagged or :latest image, in every container', (t) => {
    const files = {
      'apps/images.ts': rawDeploymentApp(
        'images',
        `{ name: 'untagged', image: 'nginx', resources: { limits: LIMITS } }, { name: 'latest', image: 'nginx:latest', resources: { limits: LIMITS } }`,
      ),
    };
    const expected = ['dev', 'prod'].flatMap((env) => [
      `error[image-not-pinned] ${env}/images (apps/images.ts) Deployment images/d spec.template.spec.containers[0].image: "nginx" has no tag; pin a version tag or a digest`,
      `error[image-not-pinned] ${env}/images (apps/images.ts) Deployment images/d spec.template.spec.containers[1].image: "nginx:latest" uses the mutable tag ":latest"; pin a version tag or a digest`,
    ]);
    assert.deepEqual(issuesOf(t, files), expected);
  });

  test('containers without limits fail only in production environments', (t) => {
    const files = {
      'apps/nolimits.ts': rawDeploymentApp(
        'nolimits',
        `{ name: 'app', image: 'nginx:1.27', resources: { limits: { cpu: k8s.Quantity.fromString('1') } } }`,
      ),
    };
    assert.deepEqual(issuesOf(t, files), [
      'error[missing-limits] prod/nolimits (apps/nolimits.ts) Deployment nolimits/d spec.template.spec.containers[0].resources.limits: container "app" has no memory limit; production environments require CPU and memory limits',
    ]);
  });

  test('an app that throws while it is built is named with its source file', (t) => {
    const files = {
      'apps/thrower.ts': `import { defineApp } from 'synthops';\nexport default defineApp({ name: 'thrower', build: () => { throw new Error('boom: missing config value'); } });`,
    };
    assert.deepEqual(
      issuesOf(t, files),
      ['dev', 'prod'].map(
        (env) => `error[app-error] ${env}/thrower (apps/thrower.ts): threw while building: boom: missing config value`,
      ),
    );
  });

  test('modules that do not load or do not export an app', (t) => {
    const issues = issuesOf(t, {
      'apps/broken.ts': 'export default {',
      'apps/other.ts': `export default { name: 'x' };`,
    });
    assert.equal(issues.length, 2);
    assert.match(
      issues[0],
      /^error\[module-error\] \(apps\/broken\.ts\): failed to load: .*Unable to compile TypeScript/s,
    );
    assert.equal(
      issues[1],
      'error[module-error] (apps/other.ts): the default export must be defineApp({...}) or an array of them',
    );
  });

  test('bad app names, unknown environments and pins for unknown apps or environments', (t) => {
    assert.deepEqual(
      issuesOf(t, {
        'apps/images.yaml': 'dev:\n  ghost: r/g:1\nqa:\n  x: r/x:1\n',
        'apps/bad.ts': `import { defineApp } from 'synthops';\nexport default defineApp({ name: 'Bad', environments: ['qa'], build: () => undefined });`,
        'apps/twice.ts': `import { defineApp } from 'synthops';\nexport default [defineApp({ name: 'twice', build: () => undefined }), defineApp({ name: 'twice', build: () => undefined })];`,
      }),
      [
        'error[invalid-app] Bad (apps/bad.ts): app name "Bad" must be a DNS label (lowercase letters, digits, "-", at most 63)',
        'error[unknown-environment] Bad (apps/bad.ts): environment "qa" is not declared in apps/environments.ts (known: dev, prod)',
        'error[invalid-app] twice (apps/twice.ts): app name "twice" is also used by apps/twice.ts',
        'error[unknown-image-pin] dev/ghost (apps/images.yaml): no app named "ghost" exists',
        'error[unknown-image-pin] qa (apps/images.yaml): environment "qa" is not declared in apps/environments.ts',
      ],
    );
  });

  test('every error is listed at once, across apps and environments', (t) => {
    const issues = issuesOf(t, {
      'apps/good.ts': webApp('good'),
      'apps/thrower.ts': `import { defineApp } from 'synthops';\nexport default defineApp({ name: 'thrower', build: () => { throw new Error('boom'); } });`,
      'apps/latest.ts': webApp('latest', 'nginx:latest'),
    });
    assert.equal(issues.length, 4);
    assert.equal(issues.filter((i) => i.startsWith('error[app-error]')).length, 2);
    assert.equal(issues.filter((i) => i.startsWith('error[image-not-pinned]')).length, 2);
  });

  test('a :latest pin and a WebService without limits are both reported, each once, with a count from the CLI', (t) => {
    const noLimits = (name: string, resources: string) => `import { WebService, defineApp } from 'synthops';
export default defineApp({ name: '${name}', build: (app) => { new WebService(app, 'web', { port: 8080, image: 'r/${name}:1'${resources} }); } });
`;
    const root = makeRepo(t, {
      'apps/images.yaml': 'dev:\n  web: r/web:1\nprod:\n  web: r/web:latest\n  other: r/other\n  bad: 3\n',
      'apps/web.ts': noLimits('web', ''),
      'apps/partial.ts': noLimits(
        'partial',
        `, resources: { cpu: { request: '50m' }, memory: { request: '32Mi', limit: '64Mi' } }`,
      ),
      'apps/other.ts': webApp('other'),
    });
    const r = synth({ root, dryRun: true });
    assert.equal(r.ok, false);
    assert.deepEqual(r.issues.map(formatIssue), [
      'error[image-not-pinned] prod/web (apps/images.yaml): "r/web:latest" uses the mutable tag ":latest"; pin a version tag or a digest',
      'error[image-not-pinned] prod/other (apps/images.yaml): "r/other" has no tag; pin a version tag or a digest',
      'error[invalid-image-pin] prod/bad (apps/images.yaml): prod.bad must be an image reference string',
      'error[missing-limits] prod/partial (apps/partial.ts) Deployment partial/partial spec.template.spec.containers[0].resources.limits: container "web" has no cpu limit; production environments require CPU and memory limits',
      'error[missing-limits] prod/web (apps/web.ts) Deployment web/web spec.template.spec.containers[0].resources.limits: container "web" has no cpu and memory limit; production environments require CPU and memory limits',
    ]);
    // dev has no production rules: without limits is fine there, and nothing threw.
    assert.equal(
      r.issues.some((i) => i.env === 'dev' || i.rule === 'app-error'),
      false,
    );
    const dev = synth({ root, envs: ['dev'], dryRun: true });
    assert.deepEqual(
      dev.issues.map((i) => i.rule),
      ['image-not-pinned', 'image-not-pinned', 'invalid-image-pin'],
      'the pins file is checked whichever environments are rendered',
    );

    const cli = spawnSync(
      process.execPath,
      [path.join(REPO_ROOT, 'bin', 'synthops'), 'synth', '--root', root, '--no-cache'],
      { cwd: root, encoding: 'utf8' },
    );
    assert.equal(cli.status, 1, cli.stderr);
    const lines = cli.stderr.trimEnd().split('\n');
    assert.deepEqual(lines.slice(0, -1), r.issues.map(formatIssue), 'one line per problem, each naming its rule');
    assert.match(lines[lines.length - 1], /^synth failed with 5 error\(s\); dist was not changed$/);
  });
});
