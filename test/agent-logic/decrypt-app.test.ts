/** decryptApp, the pure step before anything else looks at an app: which objects are decrypted, what a failure records. */
import * as assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { decryptApp } from '../../src/agent/apply/decrypt';
import { DesiredApp } from '../../src/agent/source/load';
import { Manifest } from '../../src/model/manifest';
import { encryptedDigest, isSopsDocument } from '../../src/model/sops';

const cm: Manifest = { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'c', namespace: 'n' }, data: { k: 'v' } };
const enc = {
  apiVersion: 'v1',
  kind: 'Secret',
  metadata: { name: 's', namespace: 'n' },
  stringData: { p: 'ENC[AES256_GCM,data:x,iv:y,tag:z,type:str]' },
  sops: { mac: 'm' },
} as unknown as Manifest;
const app = (objects: Manifest[]): DesiredApp => ({
  name: 'shop',
  env: 'dev',
  dependsOn: [],
  objects: objects.map((manifest, i) => ({ manifest, origin: `dev/shop/f${i}.yaml#0` })),
});

describe('decryptApp', () => {
  test('an app without SOPS documents is returned as it is, without calling the decryptor', async () => {
    const a = app([cm]);
    const r = await decryptApp(a, () => {
      throw new Error('not called');
    });
    assert.equal(r.app, a);
    assert.deepEqual(r.problems, []);
  });

  test('SOPS documents are replaced by their plaintext, carrying the digest of the encrypted form', async () => {
    const plain = { ...enc, stringData: { p: 'plain' } } as Manifest;
    delete (plain as unknown as Record<string, unknown>).sops;
    const r = await decryptApp(app([cm, enc]), async (m) => (isSopsDocument(m) ? plain : m));
    assert.deepEqual(r.problems, []);
    assert.equal(r.app.objects[0].manifest, cm);
    assert.equal(r.app.objects[0].digest, undefined);
    assert.deepEqual(r.app.objects[1], { manifest: plain, origin: 'dev/shop/f1.yaml#0', digest: encryptedDigest(enc) });
  });

  test('a document that cannot be decrypted is a problem naming the object and its file; without a decryptor every one is', async () => {
    const r = await decryptApp(app([cm, enc]), async () => {
      throw new Error('MAC mismatch');
    });
    assert.deepEqual(
      r.problems.map((p) => [p.ref.name, p.origin, p.message]),
      [['s', 'dev/shop/f1.yaml#0', 'MAC mismatch']],
    );
    const none = await decryptApp(app([enc]), undefined);
    assert.match(none.problems[0].message, /no decryption key \(start it with --decryption-secret\)/);
  });
});
