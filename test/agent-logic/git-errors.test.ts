/** How git's error output becomes a short reason (pure; the real remotes are in test/source). */
import * as assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { describeGitError } from '../../src/git/client';

const fail = (stderr: string) => new Error(`Command failed: git fetch\n${stderr}`);

describe('git error reasons', () => {
  test('a changed host key is a host key failure even when the port contains 401 or 403', () => {
    for (const port of [40193, 40301, 22]) {
      const stderr = [
        '@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@',
        '@    WARNING: REMOTE HOST IDENTIFICATION HAS CHANGED!     @',
        `Host key for [127.0.0.1]:${port} has changed and you have requested strict checking.`,
        'Host key verification failed.',
        'fatal: Could not read from remote repository.',
      ].join('\n');
      assert.equal(
        describeGitError(fail(stderr), 'deploy'),
        'host key verification failed (is the host in the known_hosts file?)',
      );
    }
  });

  test('HTTP 401/403 and ssh publickey refusals are authentication failures; digits in a URL are not', () => {
    assert.match(
      describeGitError(fail("fatal: Authentication failed for 'http://127.0.0.1:40193/deploy.git/'"), 'deploy'),
      /^authentication failed: /,
    );
    assert.match(
      describeGitError(
        fail("fatal: unable to access 'https://h/r.git/': The requested URL returned error: 403"),
        'deploy',
      ),
      /^authentication failed: /,
    );
    assert.match(
      describeGitError(
        fail('git@h: Permission denied (publickey).\nfatal: Could not read from remote repository.'),
        'deploy',
      ),
      /^authentication failed: /,
    );
    assert.match(
      describeGitError(
        fail(
          "fatal: unable to access 'http://127.0.0.1:40193/r.git/': Failed to connect to 127.0.0.1 port 40193: Connection refused",
        ),
        'deploy',
      ),
      /^remote cannot be reached: unable to access/,
    );
  });

  test('a missing branch is named', () => {
    assert.equal(
      describeGitError(fail("fatal: couldn't find remote ref deploy"), 'deploy'),
      'branch "deploy" does not exist',
    );
  });

  test('basic auth headers never reach the reason', () => {
    const reason = describeGitError(fail('fatal: Authorization: Basic c2VjcmV0 rejected'), 'deploy');
    assert.equal(reason.includes('c2VjcmV0'), false);
  });
});
