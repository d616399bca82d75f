/**
 * Decryption with the real sops and real age keys: a round trip, and each bad input
 * refused with a typed failure and a message of synthops's own that holds no value.
 */
import * as assert from 'node:assert/strict';
import { randomBytes } from 'crypto';
import { describe, test } from 'node:test';
import { Manifest } from '../../src/model/manifest';
import { encryptedIdentity, isSopsDocument, plainSecretValues, sopsRecipients } from '../../src/model/sops';
import { DecryptError, DecryptFailure, decryptSops } from '../../src/render/sops';
import { ageKey, encryptedManifest, plainSecret, stringValue, tamperable } from '../harness/sops';

const PLAIN = `pw-${randomBytes(8).toString('hex')}`;
const USER = `user-${randomBytes(6).toString('hex')}`;

async function refusal(m: Manifest, identities: string): Promise<DecryptError> {
  try {
    await decryptSops(m, identities);
  } catch (e) {
    assert.ok(e instanceof DecryptError, String(e));
    return e;
  }
  throw new Error('decrypted');
}

const copy = tamperable;

describe('SOPS decryption (real sops, real age keys)', () => {
  const mine = ageKey();
  const other = ageKey();

  test('a round trip: the plaintext comes back in file order; metadata is read without a key', async (t) => {
    const enc = encryptedManifest(
      t,
      {
        ...plainSecret('db', 'shop', { password: PLAIN }),
        data: { user: Buffer.from(USER).toString('base64') },
      } as Manifest,
      [mine.recipient],
    );
    assert.ok(isSopsDocument(enc));
    assert.deepEqual(sopsRecipients(enc), [mine.recipient]);
    assert.deepEqual([plainSecretValues(enc), encryptedIdentity(enc)], [[], []]);
    assert.ok(!JSON.stringify(enc).includes(PLAIN), 'ciphertext only');
    const plain = await decryptSops(enc, mine.identity);
    assert.deepEqual(plain, {
      apiVersion: 'v1',
      kind: 'Secret',
      metadata: { name: 'db', namespace: 'shop' },
      type: 'Opaque',
      stringData: { password: PLAIN },
      data: { user: Buffer.from(USER).toString('base64') },
    });
    // Several identities (one per *.agekey entry), the right one among them.
    assert.equal(stringValue(await decryptSops(enc, `${other.identity}\n${mine.identity}`), 'password'), PLAIN);
  });

  test('each bad input is refused with its failure kind and never a value', async (t) => {
    const enc = encryptedManifest(t, plainSecret('db', 'shop', { password: PLAIN, user: USER }), [mine.recipient]);
    const forOthers = encryptedManifest(t, plainSecret('db', 'shop', { password: PLAIN }), [other.recipient]);
    const cases: Array<[string, Manifest, string, DecryptFailure, RegExp]> = [];
    cases.push(['wrong key', enc, other.identity, 'no-key', /none of the given age identities opens it/]);
    cases.push(['no key at all', enc, '', 'no-key', /none of the given age identities opens it/]);
    cases.push([
      'encrypted for other recipients',
      forOthers,
      mine.identity,
      'no-key',
      /none of the given age identities/,
    ]);
    const tamperedValue = copy(enc);
    const v = tamperedValue.stringData.password as string;
    tamperedValue.stringData.password = v.replace(/data:(.)/, (_m, c: string) => `data:${c === 'A' ? 'B' : 'A'}`);
    cases.push([
      'tampered ciphertext',
      tamperedValue,
      mine.identity,
      'mac-mismatch',
      /ciphertext was changed after encryption/,
    ]);
    const renamed = copy(enc);
    (renamed.metadata as Record<string, unknown>).name = 'db2';
    cases.push([
      'a clear field changed (MAC mismatch)',
      renamed,
      mine.identity,
      'mac-mismatch',
      /MAC mismatch: the document was changed after it was encrypted/,
    ]);
    const labelled = copy(enc);
    labelled.metadata = { ...labelled.metadata, labels: { 'synthops.dev/app': 'shop' } };
    cases.push(['a label stamped after encryption', labelled, mine.identity, 'mac-mismatch', /MAC mismatch/]);
    const swapped = copy(enc);
    [swapped.stringData.password, swapped.stringData.user] = [swapped.stringData.user, swapped.stringData.password];
    cases.push(['values swapped between keys', swapped, mine.identity, 'mac-mismatch', /a value does not decrypt/]);
    const half = copy(enc);
    half.stringData.extra = PLAIN;
    cases.push([
      'half-encrypted',
      half,
      mine.identity,
      'half-encrypted',
      /half-encrypted: stringData\.extra not encrypted/,
    ]);
    const badMac = copy(enc);
    badMac.sops.mac = PLAIN;
    cases.push(['a MAC that is no ciphertext', badMac, mine.identity, 'mac-mismatch', /MAC mismatch/]);
    const identity = copy(enc);
    (identity.metadata as Record<string, unknown>).name = stringValue(enc, 'password');
    cases.push([
      'identity encrypted',
      identity,
      mine.identity,
      'failed',
      /metadata\.name encrypted: encrypt only data and stringData/,
    ]);
    for (const [what, m, ids, failure, message] of cases) {
      const e = await refusal(m, ids);
      assert.equal(e.failure, failure, `${what}: ${e.message}`);
      assert.match(e.message, message, what);
      for (const secret of [PLAIN, USER])
        assert.ok(
          !e.message.includes(secret) && !(e.stack ?? '').includes(secret),
          `${what}: no plaintext in ${e.message}`,
        );
    }
  });

  test('sops quoting a value it could not read is not passed on', async (t) => {
    // Encrypted with a rule covering metadata too, then given a plain name: sops's own
    // message would be "Input string <name> does not match sops' data format".
    const enc = encryptedManifest(t, plainSecret('db', 'shop', { password: PLAIN }), [mine.recipient]) as Manifest & {
      sops: Record<string, unknown>;
    };
    enc.sops.encrypted_regex = '^(data|stringData|name)$';
    const e = await refusal({ ...enc, metadata: { name: PLAIN, namespace: 'shop' } } as Manifest, mine.identity);
    assert.equal(e.failure, 'mac-mismatch');
    assert.ok(!e.message.includes(PLAIN), e.message);
  });
});
