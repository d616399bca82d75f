/** The `synthops` binary as a user runs it: exit codes, output, and dist/ on failure. */
import { spawnSync } from 'child_process';
import * as assert from 'node:assert/strict';
import * as fs from 'fs';
import * as path from 'path';
import { describe, test } from 'node:test';
import { REPO_ROOT, makeRepo, readTree } from '../harness/config-repo';
import { webApp } from '../synth/fixtures';
import { TestRemote } from '../harness/git';
import { SourceRepo, branchLog, treeAt } from '../harness/source-repo';

const BIN = path.join(REPO_ROOT, 'bin', 'synthops');

function run(cwd: string, ...args: string[]) {
  const r = spawnSync(process.execPath, [BIN, ...args], { cwd, encoding: 'utf8' });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

describe('synthops CLI', () => {
  test('synth exits 0, says what it wrote and where', (t) => {
    const root = makeRepo(t, { 'apps/web.ts': webApp('web') });
    const r = run(root, 'synth');
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /^dev: web \(3\)$/m);
    assert.match(r.stdout, /^prod: web \(3\)$/m);
    assert.match(r.stdout, /^wrote 6 objects of 2 app\(s\) to \/.*\/dist$/m);
  });

  test('synth reuses unchanged apps from its cache; --no-cache renders everything', (t) => {
    const root = makeRepo(t, { 'apps/web.ts': webApp('web'), 'apps/api.ts': webApp('api') });
    assert.equal(run(root, 'synth').code, 0);
    const before = readTree(path.join(root, 'dist'));
    fs.writeFileSync(path.join(root, 'apps/api.ts'), webApp('api', 'registry.example.com/api:2.0.0'));
    const again = run(root, 'synth');
    assert.equal(again.code, 0, again.stderr);
    assert.match(again.stdout, /^cache: rendered 1 app module\(s\), reused 1; wrote 3 file\(s\), kept 10$/m);
    const cached = readTree(path.join(root, 'dist'));
    assert.notDeepEqual(cached, before);
    const cold = run(root, 'synth', '--no-cache');
    assert.equal(cold.code, 0, cold.stderr);
    assert.doesNotMatch(cold.stdout, /^cache:/m);
    assert.deepEqual(readTree(path.join(root, 'dist')), cached);
  });

  test('publish and diff take the synth cache flags: --cache-dir moves the cache, --no-cache writes none', (t) => {
    const root = makeRepo(t, { 'apps/web.ts': webApp('web') });
    const remote = TestRemote.create(t);
    const sha = 'a'.repeat(40);
    const noCache = run(
      root,
      'publish',
      '--repo',
      remote.fileUrl,
      '--branch',
      'deploy',
      '--source-commit',
      sha,
      '--no-cache',
      '--cache-dir',
      'cache-a',
    );
    assert.equal(noCache.code, 0, noCache.stderr);
    assert.equal(fs.existsSync(path.join(root, 'cache-a')), false, '--no-cache writes no cache');
    const cached = run(root, 'diff', '--repo', remote.fileUrl, '--branch', 'deploy', '--cache-dir', 'cache-b');
    assert.equal(cached.code, 0, `diff of what was just published is empty: ${cached.stdout}${cached.stderr}`);
    assert.ok(fs.readdirSync(path.join(root, 'cache-b')).length > 0, 'diff filled the cache in --cache-dir');
    const again = run(
      root,
      'publish',
      '--repo',
      remote.fileUrl,
      '--branch',
      'deploy',
      '--source-commit',
      sha,
      '--cache-dir',
      'cache-b',
    );
    assert.equal(again.code, 0, again.stderr);
    assert.equal(again.stdout.trim(), 'unchanged', 'the cached synth gives the same output');
  });

  test('synth exits 1 with every error on stderr and leaves dist/ as it was', (t) => {
    const root = makeRepo(t, { 'apps/web.ts': webApp('web') });
    assert.equal(run(root, 'synth').code, 0);
    const before = readTree(path.join(root, 'dist'));
    fs.writeFileSync(path.join(root, 'apps/web.ts'), webApp('web', 'nginx:latest'));
    const r = run(root, 'synth');
    assert.equal(r.code, 1);
    assert.match(
      r.stderr,
      /^error\[image-not-pinned\] dev\/web \(apps\/web\.ts\) Deployment web\/web spec\.template\.spec\.containers\[0\]\.image: "nginx:latest" uses the mutable tag ":latest"/m,
    );
    assert.match(r.stderr, /^error\[image-not-pinned\] prod\/web /m);
    assert.match(r.stderr, /synth failed with 2 error\(s\); dist was not changed/);
    assert.deepEqual(readTree(path.join(root, 'dist')), before);
  });

  test('publish after rollback: the same source commit exits 1 saying why and how to override; --force-after-rollback publishes it', (t) => {
    const src = SourceRepo.create(t, { 'apps/web.ts': webApp('web') });
    const remote = TestRemote.create(t);
    const publish = (...extra: string[]) =>
      run(src.root, 'publish', '--repo', remote.fileUrl, '--branch', 'deploy', ...extra);
    assert.equal(publish().code, 0);
    const v1 = branchLog(remote.bare, 'deploy')[0].sha;
    src.write({ 'apps/web.ts': webApp('web', 'registry.example.com/web:2.0.0') });
    const s2 = src.commit('bump');
    assert.equal(publish().code, 0);
    const back = run(src.root, 'rollback', v1, '--repo', remote.fileUrl, '--branch', 'deploy');
    assert.equal(back.code, 0, back.stderr);
    const refused = publish();
    assert.equal(refused.code, 1, refused.stdout);
    assert.equal(refused.stderr.trim().split('\n').length, 1, 'one line, no stack');
    assert.match(
      refused.stderr,
      new RegExp(
        `^error: the tip of deploy \\([0-9a-f]{12}\\) is a rollback; source commit ${s2.slice(0, 12)} is the one it rolled back from; publishing it would undo the rollback\\. To go ahead, publish a new source commit .*--force-after-rollback`,
      ),
    );
    assert.deepEqual(treeAt(remote.bare, 'deploy'), treeAt(remote.bare, v1));
    const forced = publish('--force-after-rollback');
    assert.equal(forced.code, 0, forced.stderr);
    assert.match(forced.stdout, /^published [0-9a-f]{12} to deploy/);
  });

  test('bad usage exits 2', (t) => {
    const root = makeRepo(t, {});
    assert.equal(run(root, 'no-such-command').code, 2);
    assert.equal(run(root, 'synth', '--no-such-flag').code, 2);
    const unknownEnv = run(root, 'synth', '--env', 'qa');
    assert.equal(unknownEnv.code, 2);
    assert.match(unknownEnv.stderr, /error: unknown environment\(s\) qa/);
  });

  test('a folder that is not a config repo is a clear usage error', () => {
    const r = run('/', 'synth', '--root', path.join(REPO_ROOT, 'test'));
    assert.equal(r.code, 2);
    assert.match(r.stderr, /no apps\/ folder; is this a synthops config repo\?/);
  });

  test('agent flags are checked before anything starts', () => {
    const once = run(REPO_ROOT, 'agent', '--once');
    assert.equal(once.code, 2, 'missing --repo/--branch');
    assert.match(once.stderr, /--once needs --repo and --branch/);
    assert.match(run(REPO_ROOT, 'agent', '--repo', 'file:///x').stderr, /--repo and --branch go together/);
    assert.match(run(REPO_ROOT, 'agent', '--no-git-sources').stderr, /nothing to run/);
    const r = run(REPO_ROOT, 'agent', '--repo', 'file:///x', '--branch', 'b', '--interval', 'soon');
    assert.equal(r.code, 2);
    assert.match(r.stderr, /--interval: "soon" is not a duration/);
  });

  test('--version prints the package version', () => {
    const r = run(REPO_ROOT, '--version');
    assert.equal(r.code, 0);
    assert.equal(r.stdout.trim(), JSON.parse(fs.readFileSync(path.join(REPO_ROOT, 'package.json'), 'utf8')).version);
  });
});
