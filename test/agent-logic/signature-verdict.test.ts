/** The pure decisions of the signature check: git's answer read, trust, revocation, the message (real git in test/source/signing.test.ts). */
import * as assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import {
  SignatureCheck,
  describeCheck,
  isTrusted,
  parseVerdict,
  signatureFormat,
  withRevocation,
} from '../../src/git/signature-verdict';

const SHA = '0123456789abcdef0123456789abcdef01234567';
const check = (c: Partial<SignatureCheck>): SignatureCheck => ({ sha: SHA, verdict: 'good', ...c });

describe('signature verdicts', () => {
  test('every %G? letter git documents maps to its verdict; anything else cannot be checked', () => {
    const letters: Record<string, SignatureCheck['verdict']> = {
      G: 'good',
      U: 'untrusted-key',
      N: 'no-signature',
      B: 'bad',
      R: 'revoked-key',
      X: 'expired',
      Y: 'expired',
      E: 'cannot-check',
      '': 'cannot-check',
      Z: 'cannot-check',
      g: 'cannot-check',
    };
    for (const [letter, verdict] of Object.entries(letters))
      assert.equal(
        parseVerdict(SHA, `${letter}\0\0\n`, undefined).verdict,
        verdict,
        `letter ${JSON.stringify(letter)}`,
      );
  });

  test('signer and key are read from their fields; empty fields are absent, not empty strings', () => {
    assert.deepEqual(parseVerdict(SHA, 'G\0ci@synthops\0SHA256:abc\n', 'ssh'), {
      sha: SHA,
      verdict: 'good',
      signer: 'ci@synthops',
      key: 'SHA256:abc',
      format: 'ssh',
    });
    const unsigned = parseVerdict(SHA, 'N\0\0\n', undefined);
    assert.deepEqual(unsigned, {
      sha: SHA,
      verdict: 'no-signature',
      signer: undefined,
      key: undefined,
      format: undefined,
    });
    assert.equal(parseVerdict(SHA, 'E\0\0ABCDEF\n', 'openpgp').key, 'ABCDEF');
    assert.equal(parseVerdict(SHA, 'E\0\0ABCDEF\n', 'openpgp').signer, undefined);
  });

  test('the signature format is read from the gpgsig header at the start of a line only', () => {
    const commit = (sig: string) => `tree 1234\nauthor a <a@b> 1 +0000\n${sig}\n\nmessage\n`;
    assert.equal(signatureFormat(commit('gpgsig -----BEGIN SSH SIGNATURE-----\n AAAA')), 'ssh');
    assert.equal(signatureFormat(commit('gpgsig -----BEGIN PGP SIGNATURE-----\n AAAA')), 'openpgp');
    assert.equal(signatureFormat(commit('')), undefined);
    // The same words inside the message or mid-line are not a signature.
    assert.equal(signatureFormat('tree 1\n\nsee gpgsig -----BEGIN SSH SIGNATURE in the docs\n'), undefined);
    assert.equal(signatureFormat('tree 1\n\nx gpgsig -----BEGIN PGP SIGNATURE\n'), undefined);
  });

  test('a "bad" signature that checks good or untrusted without the revocation file is revoked', () => {
    const bad = check({ verdict: 'bad', signer: 'x' });
    assert.deepEqual(withRevocation(bad, check({ verdict: 'good', signer: 'ci' })), {
      sha: SHA,
      verdict: 'revoked-key',
      signer: 'ci',
    });
    assert.equal(withRevocation(bad, check({ verdict: 'untrusted-key' })).verdict, 'revoked-key');
    // Still bad without the file: a broken signature, not a revocation.
    assert.equal(withRevocation(bad, check({ verdict: 'bad' })), bad);
    assert.equal(withRevocation(bad, check({ verdict: 'no-signature' })), bad);
    // Only "bad" is reconsidered.
    const good = check({ verdict: 'good' });
    assert.equal(withRevocation(good, check({ verdict: 'untrusted-key' })), good);
    const untrusted = check({ verdict: 'untrusted-key' });
    assert.equal(withRevocation(untrusted, check({ verdict: 'good' })), untrusted);
  });

  test('only a good signature is trusted, or an OpenPGP one without ownertrust in the keyring given', () => {
    const keyring = { gnupgHome: '/keys' };
    assert.equal(isTrusted(check({ verdict: 'good' }), {}), true);
    assert.equal(isTrusted(check({ verdict: 'untrusted-key', format: 'openpgp' }), keyring), true);
    assert.equal(isTrusted(check({ verdict: 'untrusted-key', format: 'openpgp' }), {}), false);
    assert.equal(isTrusted(check({ verdict: 'untrusted-key', format: 'ssh' }), keyring), false);
    assert.equal(isTrusted(check({ verdict: 'untrusted-key' }), keyring), false);
    for (const verdict of ['no-signature', 'bad', 'revoked-key', 'expired', 'cannot-check'] as const)
      assert.equal(isTrusted(check({ verdict, format: 'openpgp' }), keyring), false, verdict);
  });

  test('the message names the signer and key, or says none is known', () => {
    const who = { signer: 'ci@synthops', key: 'SHA256:k' };
    assert.equal(describeCheck(check({ ...who })), 'signed by ci@synthops (key SHA256:k)');
    assert.equal(describeCheck(check({ verdict: 'no-signature' })), 'it is not signed');
    assert.equal(
      describeCheck(check({ verdict: 'untrusted-key', ...who })),
      'signed by ci@synthops (key SHA256:k), which is not in the allowed signers',
    );
    assert.equal(
      describeCheck(check({ verdict: 'revoked-key', key: 'SHA256:k' })),
      'signed by key SHA256:k, which is revoked',
    );
    assert.equal(describeCheck(check({ verdict: 'expired' })), 'signed by an unknown key, which has expired');
    assert.equal(
      describeCheck(check({ verdict: 'bad', ...who })),
      'its signature by ci@synthops (key SHA256:k) does not verify',
    );
    assert.equal(
      describeCheck(check({ verdict: 'cannot-check', key: 'ABCDEF' })),
      'its signature cannot be checked (key ABCDEF: the key is not in the trusted keyring)',
    );
  });
});
