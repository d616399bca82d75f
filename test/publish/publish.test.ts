/** `synthops publish`, `rollback`, `diff` and `set-image` against real git remotes. */
import { execFileSync } from 'child_process';
import * as assert from 'node:assert/strict';
import * as fs from 'fs';
import * as path from 'path';
import { describe, test } from 'node:test';
import { PublishError, RolledBackError } from '../../src/publish/errors';
import { diffAgainstBranch } from '../../src/publish/diff';
import { publish } from '../../src/publish/publish';
import { rollback } from '../../src/publish/rollback';
import { editPins, setImage } from '../../src/publish/set-image';
import { UsageError } from '../../src/model/errors';
import { TestRemote } from '../harness/git';
import { serveGitHttp } from '../harness/git-http';
import { startSshServer } from '../harness/git-ssh';
import { SourceRepo, branchLog, treeAt } from '../harness/source-repo';
import { webApp } from '../synth/fixtures';

const PINS =
  '# pins\ndev:\n  web: docker.io/kostiscodefresh/simple-web-app:3d9b390 # the seed app\nprod:\n  web: docker.io/kostiscodefresh/simple-web-app:3d9b390\n';
const WEB = webApp('web').replace(/image: '[^']*', /, '');

describe('publish', () => {
  test('commits dist/ as the whole tree of a new orphan branch, with Source-Commit and Source-Repo trailers', async (t) => {
    const src = SourceRepo.create(t, { 'apps/web.ts': WEB, 'apps/images.yaml': PINS });
    const remote = TestRemote.create(t);
    const r = await publish({ root: src.root, repo: remote.fileUrl, branch: 'deploy' });
    assert.equal(r.status, 'published');
    const head = src.git('rev-parse', 'HEAD');
    const log = branchLog(remote.bare, 'deploy');
    assert.equal(log.length, 1);
    assert.equal(log[0].sha, r.commit);
    assert.equal(
      log[0].message,
      `publish ${head.slice(0, 12)}\n\nSource-Commit: ${head}\nSource-Repo: https://git.example.com/org/config.git`,
    );
    const tree = treeAt(remote.bare, 'deploy');
    assert.deepEqual(Object.keys(tree).sort(), [
      'dev/web/deployment-web.yaml',
      'dev/web/namespace-web.yaml',
      'dev/web/service-web.yaml',
      'index.json',
      'prod/web/deployment-web.yaml',
      'prod/web/namespace-web.yaml',
      'prod/web/service-web.yaml',
    ]);
    assert.equal(
      tree['dev/web/deployment-web.yaml'],
      fs.readFileSync(path.join(src.root, 'dist/dev/web/deployment-web.yaml'), 'utf8'),
    );
  });

  test('no commit when the output is unchanged; removed files disappear from the branch', async (t) => {
    const src = SourceRepo.create(t, { 'apps/web.ts': WEB, 'apps/old.ts': webApp('old'), 'apps/images.yaml': PINS });
    const remote = TestRemote.create(t);
    await publish({ root: src.root, repo: remote.fileUrl, branch: 'deploy' });
    src.write({ 'README.md': 'docs only' });
    src.commit('docs');
    const again = await publish({ root: src.root, repo: remote.fileUrl, branch: 'deploy' });
    assert.equal(again.status, 'unchanged');
    assert.equal(branchLog(remote.bare, 'deploy').length, 1);
    fs.rmSync(path.join(src.root, 'apps/old.ts'));
    src.commit('remove old');
    assert.equal((await publish({ root: src.root, repo: remote.fileUrl, branch: 'deploy' })).status, 'published');
    assert.equal(
      Object.keys(treeAt(remote.bare, 'deploy')).some((f) => f.includes('/old/')),
      false,
    );
  });

  test('refuses to publish when synth fails: nothing is pushed', async (t) => {
    const src = SourceRepo.create(t, { 'apps/web.ts': WEB, 'apps/images.yaml': PINS });
    const remote = TestRemote.create(t);
    await publish({ root: src.root, repo: remote.fileUrl, branch: 'deploy' });
    src.write({
      'apps/broken.ts': `import { defineApp } from 'synthops';\nexport default defineApp({ name: 'broken', build: () => { throw new Error('bad config'); } });`,
    });
    src.commit('break');
    await assert.rejects(publish({ root: src.root, repo: remote.fileUrl, branch: 'deploy' }), (e: Error) => {
      assert.ok(e instanceof PublishError);
      assert.match(
        e.message,
        /^synth failed, nothing was published:\nerror\[app-error\] dev\/broken \(apps\/broken\.ts\): threw while building: bad config/,
      );
      return true;
    });
    assert.equal(branchLog(remote.bare, 'deploy').length, 1);
  });

  test('concurrent publishes both land, one on top of the other, never forced', async (t) => {
    const remote = TestRemote.create(t);
    const a = SourceRepo.create(t, { 'apps/web.ts': WEB, 'apps/images.yaml': PINS });
    const b = SourceRepo.create(t, { 'apps/web.ts': WEB, 'apps/images.yaml': PINS.replace(/3d9b390/g, 'abc1234') });
    await publish({ root: a.root, repo: remote.fileUrl, branch: 'deploy' });
    a.write({ 'apps/images.yaml': PINS.replace(/3d9b390/g, 'fff0001') });
    const shaA = a.commit('bump a');
    const shaB = b.git('rev-parse', 'HEAD');
    const [ra, rb] = await Promise.all([
      publish({ root: a.root, repo: remote.fileUrl, branch: 'deploy' }),
      publish({ root: b.root, repo: remote.fileUrl, branch: 'deploy' }),
    ]);
    assert.deepEqual([ra.status, rb.status], ['published', 'published']);
    const log = branchLog(remote.bare, 'deploy');
    assert.equal(log.length, 3, 'linear history: both landed');
    const sources = log.map((l) => /Source-Commit: (\w+)/.exec(l.message)?.[1]);
    assert.ok(sources.includes(shaA) && sources.includes(shaB));
    assert.ok(ra.attempts + rb.attempts >= 3, 'one of them retried on top of the other');
  });

  test('a source commit older than the published one is not published over it', async (t) => {
    const src = SourceRepo.create(t, { 'apps/web.ts': WEB, 'apps/images.yaml': PINS });
    const remote = TestRemote.create(t);
    const old = src.git('rev-parse', 'HEAD');
    src.write({ 'apps/images.yaml': PINS.replace(/3d9b390/g, 'abc1234') });
    src.commit('newer');
    await publish({ root: src.root, repo: remote.fileUrl, branch: 'deploy' });
    src.git('checkout', '-q', old);
    const r = await publish({ root: src.root, repo: remote.fileUrl, branch: 'deploy' });
    assert.equal(r.status, 'stale');
    assert.match(
      r.message,
      /^source commit [0-9a-f]{12} is an ancestor of [0-9a-f]{12}, already published at [0-9a-f]{12}; not publishing over it$/,
    );
    assert.equal(branchLog(remote.bare, 'deploy').length, 1);
  });

  test('publishes over git smart HTTP with a token', async (t) => {
    const src = SourceRepo.create(t, { 'apps/web.ts': WEB, 'apps/images.yaml': PINS });
    const remote = TestRemote.create(t);
    const server = await serveGitHttp(t, remote.root, 'publish-token');
    const r = await publish({
      root: src.root,
      repo: server.url('deploy.git'),
      branch: 'deploy',
      auth: { token: 'publish-token' },
    });
    assert.equal(r.status, 'published');
    assert.equal(branchLog(remote.bare, 'deploy')[0].sha, r.commit);
    await assert.rejects(
      publish({ root: src.root, repo: server.url('deploy.git'), branch: 'deploy', auth: { token: 'nope' } }),
      /authentication failed/,
    );
  });

  test('publishes over ssh with a key, checking the host key', async (t) => {
    const src = SourceRepo.create(t, { 'apps/web.ts': WEB, 'apps/images.yaml': PINS });
    const remote = TestRemote.create(t);
    const sshd = await startSshServer(t);
    const r = await publish({
      root: src.root,
      repo: `${sshd.base}${remote.bare}`,
      branch: 'deploy',
      auth: { sshKeyFile: sshd.clientKey, knownHostsFile: sshd.knownHosts },
    });
    assert.equal(r.status, 'published');
    assert.equal(branchLog(remote.bare, 'deploy')[0].sha, r.commit);
  });
});

describe('rollback', () => {
  test('a new commit whose tree equals the earlier revision, with Rollback-Of and Rollback-To; history kept', async (t) => {
    const src = SourceRepo.create(t, { 'apps/web.ts': WEB, 'apps/images.yaml': PINS });
    const remote = TestRemote.create(t);
    const v1 = (await publish({ root: src.root, repo: remote.fileUrl, branch: 'deploy' })).commit!;
    src.write({ 'apps/images.yaml': PINS.replace(/3d9b390/g, 'bad0001') });
    src.commit('bad bump');
    const v2 = (await publish({ root: src.root, repo: remote.fileUrl, branch: 'deploy' })).commit!;
    const r = await rollback({ revision: v1.slice(0, 10), repo: remote.fileUrl, branch: 'deploy' });
    assert.equal(r.status, 'rolled-back');
    const log = branchLog(remote.bare, 'deploy');
    assert.deepEqual(log.map((l) => l.sha).slice(1), [v2, v1], 'nothing rewritten');
    assert.match(
      log[0].message,
      new RegExp(
        `^rollback to ${v1.slice(0, 12)}\\n\\nRollback-Of: ${v2}\\nRollback-To: ${v1}\\nSource-Commit: [0-9a-f]{40}`,
      ),
    );
    assert.deepEqual(treeAt(remote.bare, 'deploy'), treeAt(remote.bare, v1));
    assert.equal((await rollback({ revision: v1, repo: remote.fileUrl, branch: 'deploy' })).status, 'unchanged');
    await assert.rejects(
      rollback({ revision: 'deadbeef', repo: remote.fileUrl, branch: 'deploy' }),
      /revision deadbeef is not a commit of branch deploy/,
    );
  });
});

describe('publish after a rollback', () => {
  /** Publishes v1 (source s1) and v2 (s2), then rolls back to v1. */
  async function rolledBack(t: Parameters<typeof SourceRepo.create>[0]) {
    const src = SourceRepo.create(t, { 'apps/web.ts': WEB, 'apps/images.yaml': PINS });
    const remote = TestRemote.create(t);
    const s1 = src.git('rev-parse', 'HEAD');
    const v1 = (await publish({ root: src.root, repo: remote.fileUrl, branch: 'deploy' })).commit!;
    src.write({ 'apps/images.yaml': PINS.replace(/3d9b390/g, 'bad0001') });
    const s2 = src.commit('bad bump');
    const v2 = (await publish({ root: src.root, repo: remote.fileUrl, branch: 'deploy' })).commit!;
    const back = await rollback({ revision: v1, repo: remote.fileUrl, branch: 'deploy' });
    return { src, remote, s1, s2, v1, v2, back: back.commit };
  }

  test('the rollback records what it rolled back from; publishing that source commit again is refused, naming the way out', async (t) => {
    const { src, remote, s1, s2, v1, v2, back } = await rolledBack(t);
    assert.match(
      branchLog(remote.bare, 'deploy')[0].message,
      new RegExp(
        `\\nRollback-Of: ${v2}\\nRollback-To: ${v1}\\nSource-Commit: ${s1}\\nSource-Repo: \\S+\\nRollback-Of-Source: ${s2}$`,
      ),
    );
    await assert.rejects(publish({ root: src.root, repo: remote.fileUrl, branch: 'deploy' }), (e: Error) => {
      assert.ok(e instanceof RolledBackError, String(e));
      assert.equal(e.reason, 'same');
      assert.equal(e.rolledBackSource, s2);
      assert.equal(e.rollback, back);
      assert.equal(
        e.message,
        `the tip of deploy (${back.slice(0, 12)}) is a rollback; source commit ${s2.slice(0, 12)} is the one it rolled back from; publishing it would undo the rollback. To go ahead, publish a new source commit (one that contains the fix), or pass --force-after-rollback to publish ${s2.slice(0, 12)} anyway`,
      );
      return true;
    });
    assert.equal(branchLog(remote.bare, 'deploy')[0].sha, back, 'nothing pushed');
    // The restored source commit makes no change: nothing to refuse, nothing to commit.
    src.git('checkout', '-q', s1);
    assert.equal((await publish({ root: src.root, repo: remote.fileUrl, branch: 'deploy' })).status, 'unchanged');
    // A commit beside the rolled-back one (it does not contain it) is not newer either.
    src.write({ 'apps/images.yaml': PINS.replace(/3d9b390/g, 'side001') });
    src.commit('a branch off the restored commit');
    await assert.rejects(
      publish({ root: src.root, repo: remote.fileUrl, branch: 'deploy' }),
      (e: Error) => e instanceof RolledBackError && e.reason === 'diverged',
    );
    assert.deepEqual(treeAt(remote.bare, 'deploy'), treeAt(remote.bare, v1));
  });

  test('a new source commit publishes normally; --force-after-rollback publishes the old one', async (t) => {
    const { src, remote, s2, v2 } = await rolledBack(t);
    const forced = await publish({ root: src.root, repo: remote.fileUrl, branch: 'deploy', forceAfterRollback: true });
    assert.equal(forced.status, 'published');
    assert.deepEqual(treeAt(remote.bare, 'deploy'), treeAt(remote.bare, v2), 'the rolled-back state is back, as asked');

    const again = await rolledBack(t);
    again.src.write({ 'apps/images.yaml': PINS.replace(/3d9b390/g, 'fix0002') });
    const s3 = again.src.commit('the fix');
    const fixed = await publish({ root: again.src.root, repo: again.remote.fileUrl, branch: 'deploy' });
    assert.equal(fixed.status, 'published');
    assert.equal(fixed.sourceCommit, s3);
    assert.notEqual(s3, s2);
  });

  test('a rollback of a rollback keeps the newest source rolled back from', async (t) => {
    const { src, remote, v1 } = await rolledBack(t); // tip: rollback to v1, from s2
    src.write({ 'apps/images.yaml': PINS.replace(/3d9b390/g, 'fix0003') });
    src.commit('s3');
    const v3 = (await publish({ root: src.root, repo: remote.fileUrl, branch: 'deploy' })).commit!;
    const s3 = src.git('rev-parse', 'HEAD');
    const toV2 = await rollback({ revision: `${v3}~2`, repo: remote.fileUrl, branch: 'deploy' }); // v3~1 is the first rollback, v3~2 is v2
    assert.equal(toV2.status, 'rolled-back');
    const toV1 = await rollback({ revision: v1, repo: remote.fileUrl, branch: 'deploy' });
    assert.equal(toV1.status, 'rolled-back');
    assert.match(
      branchLog(remote.bare, 'deploy')[0].message,
      new RegExp(`\\nRollback-Of-Source: ${s3}$`),
      'carried over from the rollback it replaces',
    );
    await assert.rejects(
      publish({ root: src.root, repo: remote.fileUrl, branch: 'deploy' }),
      (e: Error) => e instanceof RolledBackError && e.reason === 'same' && e.rolledBackSource === s3,
    );
  });

  test('a rollback written without Rollback-Of-Source is judged by the Source-Commit of the commit it replaced', async (t) => {
    const src = SourceRepo.create(t, { 'apps/web.ts': WEB, 'apps/images.yaml': PINS });
    const remote = TestRemote.create(t);
    const s1 = src.git('rev-parse', 'HEAD');
    await publish({ root: src.root, repo: remote.fileUrl, branch: 'deploy' });
    src.write({ 'apps/images.yaml': PINS.replace(/3d9b390/g, 'bad0001') });
    const s2 = src.commit('bad bump');
    const v2 = (await publish({ root: src.root, repo: remote.fileUrl, branch: 'deploy' })).commit!;
    // What an older synthops wrote: Rollback-Of and Rollback-To only.
    const clone = path.join(remote.root, 'clone');
    execFileSync('git', ['clone', '-q', '-b', 'deploy', remote.bare, clone]);
    const g = (...args: string[]) =>
      execFileSync('git', ['-c', 'user.name=t', '-c', 'user.email=t@example.com', ...args], {
        cwd: clone,
        encoding: 'utf8',
      }).trim();
    g('read-tree', '-u', '--reset', 'HEAD~1');
    g(
      'commit',
      '-qm',
      `rollback\n\nRollback-Of: ${v2}\nRollback-To: ${g('rev-parse', 'HEAD~1')}\nSource-Commit: ${s1}`,
    );
    g('push', '-q', 'origin', 'HEAD:deploy');
    await assert.rejects(
      publish({ root: src.root, repo: remote.fileUrl, branch: 'deploy' }),
      (e: Error) => e instanceof RolledBackError && e.reason === 'same' && e.rolledBackSource === s2,
    );
  });
});

describe('publish --allow-prune', () => {
  test('writes one Allow-Prune trailer per app; an unchanged tree still gets a commit for a new approval, not for a repeated one', async (t) => {
    const src = SourceRepo.create(t, { 'apps/web.ts': WEB, 'apps/images.yaml': PINS });
    const remote = TestRemote.create(t);
    const first = await publish({ root: src.root, repo: remote.fileUrl, branch: 'deploy' });
    const head = src.git('rev-parse', 'HEAD');
    const approved = await publish({
      root: src.root,
      repo: remote.fileUrl,
      branch: 'deploy',
      allowPrune: ['web', 'old', 'web'],
    });
    assert.equal(approved.status, 'published');
    assert.equal(
      approved.message,
      `published ${approved.commit!.slice(0, 12)} to deploy (source ${head.slice(0, 12)}), output unchanged; allows the prune of web, old`,
    );
    const log = branchLog(remote.bare, 'deploy');
    assert.equal(log.length, 2);
    assert.equal(
      log[0].message,
      `allow prune of web, old at ${head.slice(0, 12)}\n\nSource-Commit: ${head}\nSource-Repo: https://git.example.com/org/config.git\nAllow-Prune: web\nAllow-Prune: old`,
    );
    assert.deepEqual(treeAt(remote.bare, 'deploy'), treeAt(remote.bare, first.commit!), 'same tree');
    assert.equal(
      (await publish({ root: src.root, repo: remote.fileUrl, branch: 'deploy', allowPrune: ['old'] })).status,
      'unchanged',
      'the tip carries that approval already',
    );
    assert.equal(
      (await publish({ root: src.root, repo: remote.fileUrl, branch: 'deploy', allowPrune: ['api'] })).status,
      'published',
    );
    await assert.rejects(
      publish({ root: src.root, repo: remote.fileUrl, branch: 'deploy', allowPrune: ['Not_An_App'] }),
      (e: Error) => e instanceof UsageError && /--allow-prune: "Not_An_App" is not an app name/.test(e.message),
    );
  });
});

describe('diff against the deploy branch', () => {
  test('lists added, removed and changed objects with a unified YAML diff', async (t) => {
    const src = SourceRepo.create(t, { 'apps/web.ts': WEB, 'apps/old.ts': webApp('old'), 'apps/images.yaml': PINS });
    const remote = TestRemote.create(t);
    await publish({ root: src.root, repo: remote.fileUrl, branch: 'deploy' });
    assert.deepEqual(await diffAgainstBranch(path.join(src.root, 'dist'), remote.fileUrl, 'deploy'), []);
    fs.rmSync(path.join(src.root, 'apps/old.ts'));
    src.write({ 'apps/images.yaml': PINS.replace('3d9b390 # the seed app', '4e5f6a7'), 'apps/new.ts': webApp('new') });
    const { synth } = await import('../../src/synth/synth');
    assert.equal(synth({ root: src.root }).ok, true);
    const diffs = await diffAgainstBranch(path.join(src.root, 'dist'), remote.fileUrl, 'deploy');
    const dev = Object.fromEntries(
      diffs.filter((d) => d.env === 'dev').map((d) => [d.app, d.objects.map((o) => `${o.change} ${o.object}`)]),
    );
    assert.deepEqual(dev, {
      new: ['added Deployment new/new', 'added Namespace new', 'added Service new/new'],
      old: ['removed Deployment old/old', 'removed Namespace old', 'removed Service old/old'],
      web: ['changed Deployment web/web'],
    });
    const patch = diffs.find((d) => d.env === 'dev' && d.app === 'web')!.objects[0].patch;
    assert.match(patch, /^-\s+- image: docker\.io\/kostiscodefresh\/simple-web-app:3d9b390$/m);
    assert.match(patch, /^\+\s+- image: docker\.io\/kostiscodefresh\/simple-web-app:4e5f6a7$/m);
    assert.match(patch, /^@@ /m);
  });
});

describe('set-image', () => {
  test('edits the local pins file, keeping comments; rejects unknown apps, environments and bad references', async (t) => {
    const src = SourceRepo.create(t, { 'apps/web.ts': WEB, 'apps/images.yaml': PINS });
    const r = await setImage({
      root: src.root,
      env: 'dev',
      app: 'web',
      image: 'docker.io/kostiscodefresh/simple-web-app:4e5f6a7',
    });
    assert.equal(r.status, 'updated');
    assert.equal(r.previous, 'docker.io/kostiscodefresh/simple-web-app:3d9b390');
    const text = fs.readFileSync(path.join(src.root, 'apps/images.yaml'), 'utf8');
    assert.equal(text, PINS.replace('3d9b390 # the seed app', '4e5f6a7 # the seed app'));
    assert.equal(
      (
        await setImage({
          root: src.root,
          env: 'dev',
          app: 'web',
          image: 'docker.io/kostiscodefresh/simple-web-app:4e5f6a7',
        })
      ).status,
      'unchanged',
    );
    const usage = (p: Promise<unknown>, re: RegExp) =>
      assert.rejects(p, (e: Error) => e instanceof UsageError && re.test(e.message));
    await usage(
      setImage({ root: src.root, env: 'qa', app: 'web', image: 'r/x:1' }),
      /^unknown environment "qa" \(declared: dev, prod\)$/,
    );
    await usage(
      setImage({ root: src.root, env: 'dev', app: 'nope', image: 'r/x:1' }),
      /^unknown app "nope" \(apps: web\)$/,
    );
    await usage(
      setImage({ root: src.root, env: 'dev', app: 'web', image: 'r/x:latest' }),
      /^--image: "r\/x:latest" uses the mutable tag ":latest"/,
    );
    await usage(
      setImage({ root: src.root, env: 'dev', app: 'web', image: 'Not A Ref' }),
      /^--image: "Not A Ref" is not a valid image reference$/,
    );
  });

  test('with --repo: clones, edits, commits and pushes; concurrent bumps both land', async (t) => {
    const remote = TestRemote.create(t);
    remote.publish('main', { 'apps/images.yaml': PINS, 'apps/web.ts': WEB });
    const [a, b] = await Promise.all([
      setImage({
        repo: remote.fileUrl,
        branch: 'main',
        env: 'dev',
        app: 'web',
        image: 'docker.io/kostiscodefresh/simple-web-app:aaa0001',
      }),
      setImage({
        repo: remote.fileUrl,
        branch: 'main',
        env: 'prod',
        app: 'web',
        image: 'docker.io/kostiscodefresh/simple-web-app:bbb0002',
      }),
    ]);
    assert.deepEqual([a.status, b.status], ['updated', 'updated']);
    const pins = treeAt(remote.bare, 'main')['apps/images.yaml'];
    assert.match(pins, /dev:\n {2}web: docker\.io\/kostiscodefresh\/simple-web-app:aaa0001 # the seed app/);
    assert.match(pins, /prod:\n {2}web: docker\.io\/kostiscodefresh\/simple-web-app:bbb0002/);
    assert.equal(branchLog(remote.bare, 'main').length, 3);
    assert.match(
      branchLog(remote.bare, 'main')[0].message,
      /^set-image (dev|prod)\/web docker\.io\/kostiscodefresh\/simple-web-app:(aaa0001|bbb0002)\n\nImage-Previous: /,
    );
    await assert.rejects(
      setImage({ repo: remote.fileUrl, env: 'dev', app: 'ghost', image: 'r/x:1' }),
      /unknown app "ghost" in environment "dev": apps\/images\.yaml of file:\/\/.* lists web/,
    );
  });

  test('editPins adds a missing entry and keeps the rest of the file byte for byte', () => {
    assert.equal(editPins('a: 1 # keep\n', 'dev', 'web', 'r/w:1').text, 'a: 1 # keep\ndev:\n  web: r/w:1\n');
  });
});
