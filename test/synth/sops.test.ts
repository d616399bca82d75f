/**
 * SOPS in synth, with the real sops and real age keys: a SopsSecret is taken in and
 * written out unchanged (still decryptable), its file is a cache input, and validation
 * refuses plain Secrets in production, half-encrypted files and files whose recipients
 * differ from their `.sops.yaml` rule.
 */
import * as assert from 'node:assert/strict';
import { randomBytes } from 'crypto';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { describe, test, TestContext } from 'node:test';
import * as YAML from 'yaml';
import { SynthIndex } from '../../src/model/index-file';
import { Manifest } from '../../src/model/manifest';
import { decryptSops } from '../../src/render/sops';
import { synth } from '../../src/synth/synth';
import { formatIssue } from '../../src/synth/validate';
import { makeRepo } from '../harness/config-repo';
import { ageKey, plainSecret, runSops, sopsConfig, stringValue } from '../harness/sops';

const PLAIN = `pw-${randomBytes(8).toString('hex')}`;
const SECRET_FILE = 'apps/shop/db.sops.yaml';

const shopApp = (extra = '') => `import { k8s } from 'cdk8s-plus-28';
import { SopsSecret, defineApp } from 'synthops';
export default defineApp({ name: 'shop', namespace: 'shop', build: (app) => {
  new SopsSecret(app, 'db', { file: '${SECRET_FILE}' });
  new k8s.KubeConfigMap(app, 'settings', { metadata: { name: 'settings' }, data: { mode: 'fast' } });
  ${extra}
} });
`;

function tmpOut(t: TestContext): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'synthops-out-'));
  t.after(() => fs.rmSync(dir, { recursive: true, force: true }));
  return path.join(dir, 'dist');
}

/** A config repo whose `.sops.yaml` names `recipients`, with the shop Secret encrypted by the real sops. */
function sopsRepo(t: TestContext, recipients: readonly string[], files: Record<string, string> = {}): string {
  const root = makeRepo(t, {
    '.sops.yaml': sopsConfig(recipients),
    'apps/shop.ts': shopApp(),
    [SECRET_FILE]: YAML.stringify(plainSecret('db', 'shop', { password: PLAIN })),
    ...files,
  });
  runSops(root, ['encrypt', '--in-place', SECRET_FILE]);
  return root;
}

function secretFileOf(out: string, env: string): string {
  const index = JSON.parse(fs.readFileSync(path.join(out, 'index.json'), 'utf8')) as SynthIndex;
  const app = index.apps.find((a) => a.env === env && a.app === 'shop')!;
  return path.join(out, app.objects.find((o) => o.kind === 'Secret')!.file);
}

describe('SOPS in synth', () => {
  const mine = ageKey();
  const other = ageKey();

  test('a SopsSecret is written out exactly as encrypted (no labels, key order kept) and still decrypts', async (t) => {
    const root = sopsRepo(t, [mine.recipient]);
    const out = tmpOut(t);
    const r = synth({ root, out });
    assert.deepEqual(r.issues.map(formatIssue), []);
    const source = YAML.parse(fs.readFileSync(path.join(root, SECRET_FILE), 'utf8')) as Manifest;
    for (const env of ['dev', 'prod']) {
      const text = fs.readFileSync(secretFileOf(out, env), 'utf8');
      assert.ok(!text.includes(PLAIN), 'ciphertext only in the output');
      const written = YAML.parse(text) as Manifest;
      assert.equal(JSON.stringify(written), JSON.stringify(source), 'the same document, in the same order');
      assert.equal(stringValue(await decryptSops(written, mine.identity), 'password'), PLAIN);
    }
    // The rest of the app is labelled as usual.
    assert.match(
      fs.readFileSync(path.join(out, 'dev/shop/configmap-settings.yaml'), 'utf8'),
      /synthops.dev\/app: shop/,
    );
  });

  test('the encrypted file is an input of the synth cache: editing it re-renders the app', (t) => {
    const root = sopsRepo(t, [mine.recipient]);
    const out = tmpOut(t);
    assert.equal(synth({ root, out }).ok, true);
    const before = fs.readFileSync(secretFileOf(out, 'dev'), 'utf8');
    runSops(root, ['decrypt', '--in-place', SECRET_FILE], { SOPS_AGE_KEY: mine.identity });
    fs.writeFileSync(
      path.join(root, SECRET_FILE),
      YAML.stringify(plainSecret('db', 'shop', { password: `${PLAIN}-2` })),
    );
    runSops(root, ['encrypt', '--in-place', SECRET_FILE]);
    assert.equal(synth({ root, out }).ok, true);
    const after = fs.readFileSync(secretFileOf(out, 'dev'), 'utf8');
    assert.notEqual(after, before);
    assert.equal(
      after,
      `${YAML.stringify(YAML.parse(fs.readFileSync(path.join(root, SECRET_FILE), 'utf8')), { lineWidth: 0, minContentWidth: 0, sortMapEntries: false })}`,
    );
  });

  test('unencrypted-secret: a plain Secret in production fails unless allowed; dev is free', (t) => {
    const plainSecretApp = `import { k8s } from 'cdk8s-plus-28';
import { defineApp } from 'synthops';
export default defineApp({ name: 'plain', namespace: 'plain', build: (app) => {
  new k8s.KubeSecret(app, 'token', { metadata: { name: 'token' }, stringData: { token: 'abc' } });
  new k8s.KubeSecret(app, 'empty', { metadata: { name: 'empty' }, type: 'kubernetes.io/service-account-token' });
} });
`;
    const r = synth({ root: makeRepo(t, { 'apps/plain.ts': plainSecretApp }), dryRun: true });
    assert.deepEqual(r.issues.map(formatIssue), [
      'error[unencrypted-secret] prod/plain (apps/plain.ts) Secret plain/token: a Secret in a production environment must be committed SOPS-encrypted (SopsSecret, synthops secret encrypt); set allowUnencryptedSecrets for the app or environment to allow it',
    ]);
    const allowed = (overrides: string) => `import { defineEnvironments } from 'synthops';
export default defineEnvironments({ dev: {}, prod: { production: true, ${overrides} } });
`;
    for (const o of [
      'defaults: { allowUnencryptedSecrets: true }',
      'apps: { plain: { allowUnencryptedSecrets: true } }',
    ]) {
      assert.deepEqual(
        synth({
          root: makeRepo(t, { 'apps/plain.ts': plainSecretApp, 'apps/environments.ts': allowed(o) }),
          dryRun: true,
        }).issues,
        [],
        o,
      );
    }
    // Allowed for another app only: still an error.
    assert.equal(
      synth({
        root: makeRepo(t, {
          'apps/plain.ts': plainSecretApp,
          'apps/environments.ts': allowed('apps: { other: { allowUnencryptedSecrets: true } }'),
        }),
        dryRun: true,
      }).ok,
      false,
    );
  });

  test('unencrypted-secret: a half-encrypted SOPS file fails in every environment, naming the field', (t) => {
    const root = sopsRepo(t, [mine.recipient]);
    const file = path.join(root, SECRET_FILE);
    const doc = YAML.parse(fs.readFileSync(file, 'utf8')) as { stringData: Record<string, string> };
    doc.stringData.extra = PLAIN;
    fs.writeFileSync(file, YAML.stringify(doc));
    const r = synth({ root, dryRun: true });
    const lines = r.issues.map(formatIssue);
    assert.deepEqual(
      lines,
      ['dev', 'prod'].map(
        (env) =>
          `error[unencrypted-secret] ${env}/shop (apps/shop.ts) Secret shop/db stringData.extra (not encrypted): ${SECRET_FILE} is not encrypted as a whole: encrypt only data and stringData, and all of them (encrypted_regex: ^(data|stringData)$), with synthops secret encrypt`,
      ),
    );
    assert.ok(lines.every((l) => !l.includes(PLAIN)));
  });

  test('sops-recipients: a file encrypted for other recipients than its rule, or that no rule covers', (t) => {
    const root = sopsRepo(t, [mine.recipient]);
    fs.writeFileSync(path.join(root, '.sops.yaml'), sopsConfig([mine.recipient, other.recipient]));
    const r = synth({ root, dryRun: true });
    assert.deepEqual(
      r.issues.map(formatIssue),
      ['dev', 'prod'].map(
        (env) =>
          `error[sops-recipients] ${env}/shop (apps/shop.ts) Secret shop/db sops.age: ${SECRET_FILE}: not encrypted for ${other.recipient} (creation_rules[0] of .sops.yaml); run sops updatekeys ${SECRET_FILE}`,
      ),
    );
    fs.writeFileSync(path.join(root, '.sops.yaml'), sopsConfig([other.recipient]));
    assert.match(
      formatIssue(synth({ root, dryRun: true }).issues[0]),
      new RegExp(`not encrypted for ${other.recipient}; encrypted for ${mine.recipient}, which the rule does not name`),
    );
    // The first rule whose path_regex matches decides; one without path_regex matches all.
    fs.writeFileSync(
      path.join(root, '.sops.yaml'),
      `creation_rules:\n  - path_regex: ^apps/other/\n    age: ${other.recipient}\n  - age: ${mine.recipient}\n`,
    );
    assert.deepEqual(synth({ root, dryRun: true }).issues, []);
    fs.writeFileSync(
      path.join(root, '.sops.yaml'),
      `creation_rules:\n  - path_regex: ^apps/other/\n    age: ${mine.recipient}\n`,
    );
    assert.deepEqual(
      synth({ root, dryRun: true }).issues.map(formatIssue),
      ['dev', 'prod'].map(
        (env) =>
          `error[sops-recipients] ${env}/shop (apps/shop.ts) Secret shop/db: no creation rule of .sops.yaml applies to ${SECRET_FILE}`,
      ),
    );
  });

  test('a SopsSecret refuses a plain file and a file without a namespace, at build time', (t) => {
    const root = makeRepo(t, {
      '.sops.yaml': sopsConfig([mine.recipient]),
      'apps/shop.ts': shopApp(),
      [SECRET_FILE]: YAML.stringify(plainSecret('db', 'shop', { password: PLAIN })),
    });
    const r = synth({ root, dryRun: true });
    assert.match(
      formatIssue(r.issues[0]),
      new RegExp(
        `error\\[app-error\\] dev/shop \\(apps/shop.ts\\).*SopsSecret ${SECRET_FILE}: not SOPS-encrypted .*synthops secret encrypt ${SECRET_FILE}`,
      ),
    );
    assert.ok(r.issues.every((i) => !formatIssue(i).includes(PLAIN)));
    fs.writeFileSync(
      path.join(root, SECRET_FILE),
      YAML.stringify({ apiVersion: 'v1', kind: 'Secret', metadata: { name: 'db' }, stringData: { password: PLAIN } }),
    );
    runSops(root, ['encrypt', '--in-place', SECRET_FILE]);
    assert.match(
      formatIssue(synth({ root, dryRun: true }).issues[0]),
      /metadata.name and metadata.namespace must be set in the file before it is encrypted/,
    );
  });
});
