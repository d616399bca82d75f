/** The Git source against real remotes: file://, git daemon, and smart HTTP with a token. */
import * as assert from 'node:assert/strict';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { describe, test, TestContext } from 'node:test';
import { SourceError } from '../../src/agent/source/errors';
import { fetchRevision } from '../../src/agent/source/fetch';
import { TestRemote } from '../harness/git';
import { serveGitHttp } from '../harness/git-http';
import { startSshServer } from '../harness/git-ssh';

function workdir(t: TestContext): string {
  const d = fs.mkdtempSync(path.join(os.tmpdir(), 'synthops-src-'));
  t.after(() => fs.rmSync(d, { recursive: true, force: true }));
  return d;
}

describe('git source', () => {
  test('fetches the branch tip shallowly, then only what is new; the sha and trailers come with it', async (t) => {
    const remote = TestRemote.create(t);
    const first = remote.publish('deploy', { 'a.yaml': 'one' });
    const dir = workdir(t);
    const r1 = await fetchRevision({ url: remote.fileUrl, branch: 'deploy', workdir: dir });
    assert.equal(r1.sha, first);
    assert.equal(fs.readFileSync(path.join(r1.dir, 'a.yaml'), 'utf8'), 'one');
    const second = remote.publish('deploy', { 'b.yaml': 'two' }, 'publish b\n\nSource-Commit: 1234\nAllow-Prune: shop');
    const r2 = await fetchRevision({ url: remote.fileUrl, branch: 'deploy', workdir: dir });
    assert.equal(r2.sha, second);
    assert.equal(fs.existsSync(path.join(r2.dir, 'a.yaml')), false, 'the work tree is exactly the new commit');
    assert.deepEqual(r2.trailers, { 'Source-Commit': ['1234'], 'Allow-Prune': ['shop'] });
    assert.ok(Math.abs(r2.committedAt.getTime() - Date.now()) < 600_000);
  });

  test('https-style token auth: the token is sent as an auth header, never on the command line; a wrong token is a clear error', async (t) => {
    const remote = TestRemote.create(t);
    const sha = remote.publish('deploy', { 'a.yaml': 'x' });
    const server = await serveGitHttp(t, remote.root, 's3cret-token');
    const url = server.url('deploy.git');
    const r = await fetchRevision({ url, branch: 'deploy', workdir: workdir(t), auth: { token: 's3cret-token' } });
    assert.equal(r.sha, sha);
    assert.ok(server.requests.some((q) => q.endsWith('auth=ok')));
    await assert.rejects(
      fetchRevision({ url, branch: 'deploy', workdir: workdir(t), auth: { token: 'wrong' } }),
      (e: Error) => {
        assert.ok(e instanceof SourceError);
        assert.match(
          e.message,
          /^git source http:\/\/127\.0\.0\.1:\d+\/deploy\.git \(branch deploy\): authentication failed/,
        );
        assert.equal(e.message.includes('wrong'), false, 'the token is not in the message');
        return true;
      },
    );
    await assert.rejects(fetchRevision({ url, branch: 'deploy', workdir: workdir(t) }), /authentication failed/);
  });

  test('ssh with a private key checks the host key against known_hosts', async (t) => {
    const remote = TestRemote.create(t);
    const sha = remote.publish('deploy', { 'a.yaml': 'x' });
    const sshd = await startSshServer(t);
    const url = `${sshd.base}${remote.bare}`;
    const r = await fetchRevision({
      url,
      branch: 'deploy',
      workdir: workdir(t),
      auth: { sshKeyFile: sshd.clientKey, knownHostsFile: sshd.knownHosts },
    });
    assert.equal(r.sha, sha);
    await assert.rejects(
      fetchRevision({
        url,
        branch: 'deploy',
        workdir: workdir(t),
        auth: { sshKeyFile: sshd.clientKey, knownHostsFile: sshd.wrongKnownHosts },
      }),
      /\(branch deploy\): host key verification failed \(is the host in the known_hosts file\?\)/,
    );
  });
});
