/** `synthops diff --cluster`: the live cluster against local output, fields synthops owns only. */
import * as k8s from '@kubernetes/client-node';
import { spawnSync } from 'child_process';
import * as assert from 'node:assert/strict';
import * as path from 'path';
import { describe, test } from 'node:test';
import { diffAgainstCluster } from '../../src/publish/diff';
import { publish } from '../../src/publish/publish';
import { runOnce, testClient } from '../harness/agent';
import { testKubeConfig, testKubeconfig, testNamespace } from '../harness/cluster';
import { REPO_ROOT, RESOURCES } from '../harness/config-repo';
import { TestRemote } from '../harness/git';
import { SourceRepo } from '../harness/source-repo';

describe('diff against the cluster', () => {
  test('equal after a sync; fields of other managers are no difference; a changed image is', async (t) => {
    const ns = await testNamespace(t);
    const src = SourceRepo.create(t, {
      'apps/environments.ts': `import { defineEnvironments } from 'synthops';\nexport default defineEnvironments({ dev: {} });\n`,
      'apps/images.yaml': 'dev:\n  web: docker.io/kostiscodefresh/simple-web-app:3d9b390\n',
      'apps/web.ts': `import { WebService, defineApp } from 'synthops';\nexport default defineApp({ name: 'web', namespace: '${ns}', createNamespace: false, build: (app) => { new WebService(app, 'web', { port: 8080, resources: ${RESOURCES} }); } });\n`,
    });
    const remote = TestRemote.create(t);
    await publish({ root: src.root, repo: remote.fileUrl, branch: 'deploy' });
    assert.equal((await runOnce(t, { repo: remote.fileUrl, branch: 'deploy', ns, env: 'dev' })).result.converged, true);
    const client = await testClient(t);
    const dist = path.join(src.root, 'dist');
    assert.deepEqual(await diffAgainstCluster(dist, 'dev', client, ns), []);

    const apps = (await testKubeConfig()).makeApiClient(k8s.AppsV1Api);
    await apps.patchNamespacedDeployment(
      {
        name: 'web',
        namespace: ns,
        body: { metadata: { annotations: { 'other.example.com/x': 'y' } } },
        fieldManager: 'someone-else',
      },
      k8s.setHeaderOptions('Content-Type', k8s.PatchStrategy.MergePatch),
    );
    assert.deepEqual(await diffAgainstCluster(dist, 'dev', client, ns), [], 'not our field: no difference');

    src.write({ 'apps/images.yaml': 'dev:\n  web: docker.io/kostiscodefresh/simple-web-app:4e5f6a7\n' });
    const argv = [
      path.join(REPO_ROOT, 'bin', 'synthops'),
      'diff',
      '--cluster',
      '--env',
      'dev',
      '--kubeconfig',
      await testKubeconfig(),
      '--agent-namespace',
      ns,
      '--root',
      src.root,
    ];
    const cli = spawnSync(process.execPath, argv, { encoding: 'utf8' });
    assert.equal(cli.status, 1, cli.stderr);
    assert.match(cli.stdout, new RegExp(`^dev/web:\\n  ~ Deployment ${ns}/web \\(changed\\)`, 'm'));
    assert.match(cli.stdout, /^\s+-\s+- image: docker\.io\/kostiscodefresh\/simple-web-app:3d9b390$/m);
    assert.match(cli.stdout, /^\s+\+\s+- image: docker\.io\/kostiscodefresh\/simple-web-app:4e5f6a7$/m);
    assert.doesNotMatch(cli.stdout, /^\s+(\+\+\+|---) /m, 'no file headers, hunks only');
    assert.doesNotMatch(cli.stdout, /other\.example\.com/);
    // biome-ignore lint/suspicious/noControlCharactersInRegex: ESC is what the assertion looks for
    assert.doesNotMatch(cli.stdout, /\u001b\[/, 'plain text when not a TTY');
    assert.match(cli.stdout, /^1 object\(s\) differ in 1 app\(s\)$/m);
    // FORCE_COLOR colours a pipe; --no-color wins over it.
    const again = (extra: string[]) =>
      spawnSync(process.execPath, [...argv, ...extra], {
        encoding: 'utf8',
        env: { ...process.env, NO_COLOR: undefined, FORCE_COLOR: '1' },
      }).stdout;
    assert.ok(again([]).includes('\u001b['), 'coloured with FORCE_COLOR');
    assert.ok(!again(['--no-color']).includes('\u001b['), 'plain with --no-color');
  });

  test('the CLI: diff against the branch exits 0 when equal and 1 when different; publish prints "unchanged"', async (t) => {
    const src = SourceRepo.create(t, {
      'apps/environments.ts': `import { defineEnvironments } from 'synthops';\nexport default defineEnvironments({ dev: {} });\n`,
      'apps/images.yaml': 'dev:\n  web: docker.io/kostiscodefresh/simple-web-app:3d9b390\n',
      'apps/web.ts': `import { WebService, defineApp } from 'synthops';\nexport default defineApp({ name: 'web', build: (app) => { new WebService(app, 'web', { port: 8080, resources: ${RESOURCES} }); } });\n`,
    });
    const remote = TestRemote.create(t);
    const run = (...args: string[]) =>
      spawnSync(process.execPath, [path.join(REPO_ROOT, 'bin', 'synthops'), ...args, '--root', src.root], {
        encoding: 'utf8',
      });
    assert.equal(run('publish', '--repo', remote.fileUrl, '--branch', 'deploy').status, 0);
    const unchanged = run('publish', '--repo', remote.fileUrl, '--branch', 'deploy');
    assert.deepEqual([unchanged.status, unchanged.stdout.trim()], [0, 'unchanged']);
    const equal = run('diff', '--repo', remote.fileUrl, '--branch', 'deploy');
    assert.deepEqual([equal.status, equal.stdout.trim()], [0, 'no differences']);
    src.write({ 'apps/images.yaml': 'dev:\n  web: docker.io/kostiscodefresh/simple-web-app:4e5f6a7\n' });
    const different = run('diff', '--repo', remote.fileUrl, '--branch', 'deploy');
    assert.equal(different.status, 1);
    assert.match(different.stdout, /~ Deployment web\/web \(changed\)/);
    const bad = run('set-image', '--env', 'dev', '--app', 'web', '--image', 'nginx:latest');
    assert.equal(bad.status, 2);
    assert.match(bad.stderr, /--image: "nginx:latest" uses the mutable tag ":latest"/);
    const broken = run('publish', '--repo', remote.fileUrl, '--branch', 'nope-unreachable', '--source-commit', 'abc');
    assert.equal(broken.status, 0, 'a new branch is created as an orphan');
  });
});
