/**
 * Signed deploy commits, with real keys made by ssh-keygen and gpg here: publish and
 * rollback sign with git's own signing, and the agent's fetch applies a tip only when
 * git's own verification trusts its signer.
 */
import * as assert from 'node:assert/strict';
import { execFileSync } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { describe, test, type TestContext } from 'node:test';
import { fetchRevision } from '../../src/agent/source/fetch';
import { SignatureError, SignerTrust, describeCheck, isTrusted, verifyCommit } from '../../src/git/signing';
import { publish } from '../../src/publish/publish';
import { rollback } from '../../src/publish/rollback';
import { TestRemote } from '../harness/git';
import { SourceRepo } from '../harness/source-repo';
import { webApp } from '../synth/fixtures';

function tmp(t: TestContext, prefix: string): string {
  const d = fs.mkdtempSync(path.join(os.tmpdir(), prefix));
  t.after(() => fs.rmSync(d, { recursive: true, force: true }));
  return d;
}

/** An SSH key pair and an allowed-signers line for it. */
function sshKey(dir: string, name: string): { key: string; pub: string; line: string } {
  const key = path.join(dir, name);
  execFileSync('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-C', name, '-f', key]);
  const pub = fs.readFileSync(`${key}.pub`, 'utf8').trim().split(' ').slice(0, 2).join(' ');
  return { key, pub: `${key}.pub`, line: `${name}@synthops ${pub}\n` };
}

/** A GnuPG home with one signing key; resolves to the home and the key's fingerprint. */
function gpgKey(t: TestContext, uid: string): { home: string; fpr: string } {
  const home = tmp(t, 'synthops-gpg-');
  fs.chmodSync(home, 0o700);
  execFileSync(
    'gpg',
    ['--homedir', home, '--batch', '--passphrase', '', '--quick-gen-key', uid, 'ed25519', 'sign', 'never'],
    { stdio: 'ignore' },
  );
  const out = execFileSync('gpg', ['--homedir', home, '--with-colons', '--list-secret-keys'], { encoding: 'utf8' });
  const fpr = out
    .split('\n')
    .find((l) => l.startsWith('fpr:'))!
    .split(':')[9];
  t.after(() => {
    try {
      execFileSync('gpgconf', ['--homedir', home, '--kill', 'all'], { stdio: 'ignore' });
    } catch {
      /* no agent */
    }
  });
  return { home, fpr };
}

const files = { 'cm.yaml': 'apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: a\ndata:\n  k: v\n' };

describe('signed deploy commits', () => {
  test('SSH: a tip signed by an allowed key is fetched; unsigned, unknown and revoked signers are refused by name', async (t) => {
    const keys = tmp(t, 'synthops-keys-');
    const ci = sshKey(keys, 'ci');
    const rogue = sshKey(keys, 'rogue');
    const allowed = path.join(keys, 'allowed_signers');
    fs.writeFileSync(allowed, ci.line);
    const trust: SignerTrust = { allowedSignersFile: allowed };
    const remote = TestRemote.create(t);
    const workdir = tmp(t, 'synthops-wd-');

    const good = remote.publish('deploy', files, 'signed', { format: 'ssh', key: ci.key });
    const r = await fetchRevision({ url: remote.fileUrl, branch: 'deploy', workdir, verify: trust });
    assert.equal(r.sha, good);
    const check = await verifyCommit(workdir, good, trust);
    assert.equal(check.verdict, 'good');
    assert.equal(check.signer, 'ci@synthops');
    assert.equal(check.format, 'ssh');

    // Someone with write access force-pushes an unsigned commit.
    const unsigned = remote.forcePublish('deploy', files, 'not signed');
    await assert.rejects(
      fetchRevision({ url: remote.fileUrl, branch: 'deploy', workdir, verify: trust }),
      (e: unknown) => {
        assert.ok(e instanceof SignatureError);
        assert.equal(e.check.sha, unsigned);
        assert.equal(e.check.verdict, 'no-signature');
        assert.match(e.message, new RegExp(`commit ${unsigned.slice(0, 12)} is not applied: it is not signed`));
        return true;
      },
    );

    remote.publish('deploy', files, 'signed by an unknown key', { format: 'ssh', key: rogue.key });
    await assert.rejects(
      fetchRevision({ url: remote.fileUrl, branch: 'deploy', workdir, verify: trust }),
      (e: unknown) => {
        assert.ok(e instanceof SignatureError);
        assert.equal(e.check.verdict, 'untrusted-key');
        assert.match(e.message, /signed by key SHA256:\S+, which is not in the allowed signers/);
        return true;
      },
    );

    // The CI key leaks and is revoked: its signatures no longer count, and the message says so.
    remote.publish('deploy', files, 'signed by ci again', { format: 'ssh', key: ci.key });
    const revoked = path.join(keys, 'revoked_keys');
    fs.copyFileSync(ci.pub, revoked);
    const revokedTrust: SignerTrust = { allowedSignersFile: allowed, revokedKeysFile: revoked };
    await assert.rejects(
      fetchRevision({ url: remote.fileUrl, branch: 'deploy', workdir, verify: revokedTrust }),
      (e: unknown) => {
        assert.ok(e instanceof SignatureError);
        assert.equal(e.check.verdict, 'revoked-key');
        assert.match(e.message, /signed by ci@synthops \(key SHA256:\S+\), which is revoked/);
        return true;
      },
    );
    // Without the check the same tip is fetched as before.
    assert.ok((await fetchRevision({ url: remote.fileUrl, branch: 'deploy', workdir })).sha);
  });

  test('OpenPGP: a tip signed by a key in the trusted keyring is accepted; another key cannot be checked', async (t) => {
    const ci = gpgKey(t, 'CI <ci@synthops.dev>');
    const other = gpgKey(t, 'Someone <someone@example.com>');
    // The agent's trusted keyring holds only the CI public key.
    const trusted = tmp(t, 'synthops-trusted-');
    fs.chmodSync(trusted, 0o700);
    const pub = execFileSync('gpg', ['--homedir', ci.home, '--armor', '--export', ci.fpr]);
    execFileSync('gpg', ['--homedir', trusted, '--batch', '--import'], {
      input: pub,
      stdio: ['pipe', 'ignore', 'ignore'],
    });
    const trust: SignerTrust = { gnupgHome: trusted };
    const remote = TestRemote.create(t);
    const workdir = tmp(t, 'synthops-wd-');

    const good = remote.publish('deploy', files, 'signed', { format: 'openpgp', key: ci.fpr, gnupgHome: ci.home });
    assert.equal((await fetchRevision({ url: remote.fileUrl, branch: 'deploy', workdir, verify: trust })).sha, good);
    const check = await verifyCommit(workdir, good, trust);
    assert.ok(isTrusted(check, trust), describeCheck(check));
    assert.equal(check.format, 'openpgp');

    remote.publish('deploy', files, 'signed by someone else', {
      format: 'openpgp',
      key: other.fpr,
      gnupgHome: other.home,
    });
    await assert.rejects(
      fetchRevision({ url: remote.fileUrl, branch: 'deploy', workdir, verify: trust }),
      (e: unknown) => {
        assert.ok(e instanceof SignatureError);
        assert.equal(e.check.verdict, 'cannot-check');
        return true;
      },
    );
  });

  test('publish and rollback sign their commits when given a key', async (t) => {
    const keys = tmp(t, 'synthops-keys-');
    const ci = sshKey(keys, 'ci');
    const allowed = path.join(keys, 'allowed_signers');
    fs.writeFileSync(allowed, ci.line);
    const trust: SignerTrust = { allowedSignersFile: allowed };
    const src = SourceRepo.create(t, {
      'apps/web.ts': webApp('web'),
      'apps/images.yaml': 'dev:\n  web: docker.io/kostiscodefresh/simple-web-app:3d9b390\n',
    });
    const remote = TestRemote.create(t);
    const first = await publish({
      root: src.root,
      repo: remote.fileUrl,
      branch: 'deploy',
      signing: { format: 'ssh', key: ci.key },
    });
    assert.equal(first.status, 'published');
    const workdir = tmp(t, 'synthops-wd-');
    assert.equal(
      (await fetchRevision({ url: remote.fileUrl, branch: 'deploy', workdir, verify: trust })).sha,
      first.commit,
    );
    remote.publish('deploy', files, 'a hand-made commit');
    const back = await rollback({
      revision: first.commit!,
      repo: remote.fileUrl,
      branch: 'deploy',
      signing: { format: 'ssh', key: ci.key },
    });
    const r = await fetchRevision({ url: remote.fileUrl, branch: 'deploy', workdir, verify: trust });
    assert.equal(r.sha, back.commit);
    assert.equal((await verifyCommit(workdir, r.sha, trust)).signer, 'ci@synthops');
  });
});
