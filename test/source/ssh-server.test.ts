/** The test ssh server itself: it runs only git's two services, for only its client key. */
import * as assert from 'node:assert/strict';
import { execFileSync, spawn } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { describe, test, TestContext } from 'node:test';
import { SourceError } from '../../src/agent/source/errors';
import { fetchRevision } from '../../src/agent/source/fetch';
import { describeGitError } from '../../src/git/client';
import { TestRemote } from '../harness/git';
import { SshServer, startSshServer } from '../harness/git-ssh';
import { parseGitSshCommand } from '../harness/git-ssh-command';

function tempDir(t: TestContext, name: string): string {
  const d = fs.mkdtempSync(path.join(os.tmpdir(), `synthops-${name}-`));
  t.after(() => fs.rmSync(d, { recursive: true, force: true }));
  return d;
}

/**
 * Runs the real OpenSSH client against the server, as git would, with `key`. Async: the
 * server runs in this process, so a blocking spawn would stall it.
 */
function ssh(
  server: SshServer,
  key: string,
  command: string,
  user = server.user,
): Promise<{ status: number | null; stdout: string; stderr: string }> {
  const child = spawn(
    'ssh',
    [
      '-F',
      '/dev/null',
      '-o',
      'BatchMode=yes',
      '-o',
      'StrictHostKeyChecking=yes',
      '-o',
      `UserKnownHostsFile=${server.knownHosts}`,
      '-o',
      'IdentitiesOnly=yes',
      '-i',
      key,
      '-p',
      String(server.port),
      `${user}@127.0.0.1`,
      command,
    ],
    { stdio: ['ignore', 'pipe', 'pipe'] },
  );
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (c) => {
    stdout += c;
  });
  child.stderr.on('data', (c) => {
    stderr += c;
  });
  return new Promise((resolve, reject) => {
    child.on('error', reject);
    child.on('close', (status) => resolve({ status, stdout, stderr }));
  });
}

describe('git command parsing', () => {
  test('the service and path git sends, unquoted the way git quotes them', () => {
    assert.deepEqual(parseGitSshCommand(`git-upload-pack '/srv/deploy.git'`), {
      service: 'git-upload-pack',
      repoPath: '/srv/deploy.git',
    });
    assert.deepEqual(parseGitSshCommand(`git-receive-pack '/srv/a b.git'`), {
      service: 'git-receive-pack',
      repoPath: '/srv/a b.git',
    });
    assert.deepEqual(parseGitSshCommand(`git-upload-pack '/srv/it'\\''s'\\!'.git'`), {
      service: 'git-upload-pack',
      repoPath: `/srv/it's!.git`,
    });
  });

  test('anything else is refused', () => {
    for (const cmd of [
      'git-upload-pack',
      `git-upload-pack ''`,
      'git-upload-pack /srv/deploy.git',
      `git-upload-pack '/srv/deploy.git' extra`,
      `git-upload-pack '/srv/deploy.git'; id`,
      `git-upload-pack '/srv/deploy.git`,
      `git-upload-archive '/srv/deploy.git'`,
      `git upload-pack '/srv/deploy.git'`,
      `sh -c 'id'`,
      'id',
    ])
      assert.equal(parseGitSshCommand(cmd), undefined, cmd);
  });
});

describe('test ssh server', () => {
  test('a path with a quote, a bang and a space reaches git-upload-pack intact', async (t) => {
    const remote = TestRemote.at(path.join(tempDir(t, 'ssh-path'), `it's a repo!`));
    const sha = remote.publish('deploy', { 'a.yaml': 'x' });
    const server = await startSshServer(t);
    const r = await fetchRevision({
      url: `${server.base}${remote.bare}`,
      branch: 'deploy',
      workdir: tempDir(t, 'src'),
      auth: { sshKeyFile: server.clientKey, knownHostsFile: server.knownHosts },
    });
    assert.equal(r.sha, sha);
  });

  test('a command other than git-upload-pack or git-receive-pack exits 1 with a message on stderr', async (t) => {
    const server = await startSshServer(t);
    for (const cmd of ['id', `git-upload-pack '/tmp'; id`, `git-upload-archive '/tmp'`]) {
      const r = await ssh(server, server.clientKey, cmd);
      assert.equal(r.status, 1, cmd);
      assert.equal(r.stdout, '', cmd);
      assert.match(r.stderr, /runs only git-upload-pack '<path>' or git-receive-pack '<path>'/, cmd);
    }
  });

  test('an unknown client key (or another user) is refused; git reports it as an authentication failure, not a host-key one', async (t) => {
    const remote = TestRemote.create(t);
    remote.publish('deploy', { 'a.yaml': 'x' });
    const server = await startSshServer(t);
    const other = path.join(tempDir(t, 'ssh-key'), 'other');
    execFileSync('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-f', other]);

    const r = await ssh(server, other, `git-upload-pack '${remote.bare}'`);
    assert.equal(r.status, 255, 'ssh itself failed: no command ran');
    assert.match(r.stderr, /Permission denied \(publickey\)/);
    assert.match(describeGitError(new Error(r.stderr), 'deploy'), /^authentication failed: /);
    const wrongUser = await ssh(server, server.clientKey, `git-upload-pack '${remote.bare}'`, `not-${server.user}`);
    assert.equal(wrongUser.status, 255, 'the right key for another user is refused too');
    assert.match(wrongUser.stderr, /Permission denied \(publickey\)/);

    await assert.rejects(
      fetchRevision({
        url: `${server.base}${remote.bare}`,
        branch: 'deploy',
        workdir: tempDir(t, 'src'),
        auth: { sshKeyFile: other, knownHostsFile: server.knownHosts },
      }),
      (e: Error) => {
        assert.ok(e instanceof SourceError);
        assert.match(e.message, /\(branch deploy\): authentication failed: /);
        assert.doesNotMatch(e.message, /host key/i);
        return true;
      },
    );
  });
});
